# fortros-oob-agent. `make report` prints this machine's report; `make test` installs
# what the tests need (npm ci + Debian packages) and runs them.
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Debian packages the tests and benchmarks drive as real peers.
DEB_PACKAGES := dmidecode pciutils pci.ids time serf nftables openssl
# The image (make image): dracut (the tool alone: it leaves initramfs-tools installed),
# systemd-stub, objcopy, busybox for the debug shell and the boot-time floor, and what
# boots it (QEMU, OVMF).
DEB_PACKAGES += dracut-core systemd-boot-efi binutils zstd kmod cpio busybox-static qemu-system-x86 ovmf
# The QEMU harness and the tests on it: a TPM per VM, openipmi's BMC simulator and the
# reference IPMI client, network namespaces; systemd-analyze checks the units.
DEB_PACKAGES += swtpm swtpm-tools openipmi ipmitool iproute2 util-linux systemd tpm2-tools
# The libvirt channel's tests drive a real libvirtd (a session daemon the test starts) through virsh.
DEB_PACKAGES += libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients openssh-client
SOURCES := $(shell find agent -name '*.ts' 2>/dev/null) tools/build/sea.mjs package-lock.json

.PHONY: deps npm-deps deb-deps build report test typecheck bench clean demo

deps: npm-deps deb-deps

npm-deps: node_modules/.package-lock.json
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Installs only what is missing, so a developer's second `make test` does not hit apt.
deb-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build: dist/agent
dist/agent: $(SOURCES) | npm-deps
	node tools/build/sea.mjs

# vmlinuz, initramfs.img and agent.efi in image/out (image/README.md). Phony: the
# image/ folder itself would otherwise count as the target and be "up to date".
.PHONY: image
image: dist/agent deb-deps
	bash image/build.sh

report: dist/agent
	@./dist/agent report

# The self-healing loop end to end in QEMU (needs root): X frozen, one peer power-cycles it
# through its BMC, X rejoins. DEMO_RUNS deaths (default 1); bench/heal runs 20.
demo: deps build image
	node --import tsx tools/demo/cli.ts --runs $${DEMO_RUNS:-1}

typecheck: npm-deps
	npx tsc -p tsconfig.json

test: deps build image typecheck
	npx ava

bench: deps build image
	bash bench/report
	bash bench/attest
	bash bench/boot
	bash bench/gossip-vs-serf
	bash bench/heal
	bash bench/gossip-sim
	bash bench/ipmi
	bash bench/channels

clean:
	rm -rf dist image/out
