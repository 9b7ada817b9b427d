// ME firmware clients by UUID: what a /sys/bus/mei/devices/<controller>-<uuid>
// entry is. Canonical list: intel/lms MEIClient/Include/HECI_if.h (PTHI, LME,
// WD, MKHI, FWU, HOTHAM, UPID, PSR, MCHI), fwupd libfwupdplugin/fu-heci-device.h
// (MCHI2), Linux drivers/misc/mei/bus-fixup.c (MKHI fix, NFC, IGSC MKHI, PAVP)
// and drivers/misc/mei/hdcp/mei_hdcp.c (HDCP); see shared/reference/amt-me.md 1a.

/** AMTHI/PTHI, the AMT host interface: its presence means AMT firmware. */
export const MEI_CLIENT_PTHI = '12f80028-b4b7-4b2d-aca8-46e0ff65814c';

const CLIENTS: ReadonlyMap<string, string> = new Map([
  [MEI_CLIENT_PTHI, 'PTHI (AMT host interface)'],
  ['6733a4db-0476-4e7b-b3af-bcfc29bee7a7', 'LME (AMT port forwarding)'],
  ['05b79a6f-4628-4d7f-899d-a91514cb32ab', 'WD (iAMT watchdog)'],
  ['8e6a6715-9abc-4043-88ef-9e39c6f63e0f', 'MKHI'],
  ['55213584-9a29-4916-badf-0fb7ed682aeb', 'MKHI fix (kernel firmware-version client)'],
  ['309dcde8-ccb1-4062-8f78-600115a34327', 'FWU (firmware update)'],
  ['082ee5a7-7c25-470a-9643-0c06f0466ea1', 'HOTHAM (CSME flash log)'],
  ['92136c79-5fea-4cfd-980e-23be07fa5e9f', 'UPID (unique platform id)'],
  ['ed6703fa-d312-4e8b-9ddd-2155bb2dee65', 'PSR (platform service record)'],
  ['dd17041c-09ea-4b17-a271-5b989867ec65', 'MCHI'],
  ['fe2af7a6-ef22-4b45-872f-176b0bbc8b43', 'MCHI2'],
  ['b638ab7e-94e2-4ea2-a552-d1c54b627f04', 'HDCP'],
  ['fbf6fcf1-96cf-4e2e-a6a6-1bab8cbe36b1', 'PAVP (protected audio/video path)'],
  ['d2de1625-382d-417d-48a4-efabba8a1206', 'NFC info'],
  ['0bb17a78-2a8e-4c50-94d4-50266723775c', 'NFC HCI'],
  ['e2c2afa2-3817-4d19-9d95-06b16b588a5d', 'IGSC MKHI (graphics)'],
  ['46e0c1fb-a546-414f-9170-b7f46d57b4ad', 'IGSC MKHI fix (graphics)'],
]);

export function meiClientName(uuid: string): string | null {
  return CLIENTS.get(uuid.toLowerCase()) ?? null;
}
