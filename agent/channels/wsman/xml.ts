// A namespace-aware element tree over fast-xml-parser's ordered output.
// WS-Management is defined by namespaces, not prefixes: Intel AMT answers with
// a:, b:, c:, h: where other stacks write s:, wsa:, wsman:, so every name is
// resolved to {namespace, local} before anyone looks at it. Untrusted bytes go
// in; a tree or a reason comes out, never an exception.

import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface QName {
  ns: string;
  local: string;
}

export interface El extends QName {
  /** Attributes by resolved name: `local` when unqualified, `{ns}local` when qualified. */
  attrs: ReadonlyMap<string, string>;
  children: El[];
  /** Text content directly inside this element, entities decoded, trimmed. */
  text: string;
  /** Prefixes in scope here, for QName-valued text (SOAP fault codes). */
  scope: ReadonlyMap<string, string>;
}

export type XmlResult = { ok: true; root: El } | { ok: false; reason: string };

const XMLNS = 'http://www.w3.org/2000/xmlns/';
/** A power association reply is a few KiB; the cap bounds the CPU a hostile device can make us spend. */
export const MAX_XML_BYTES = 256 * 1024;
const MAX_ELEMENTS = 4096;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  maxNestedTags: 64,
});

type Ordered = Record<string, unknown>;

const isRecord = (v: unknown): v is Ordered => typeof v === 'object' && v !== null && !Array.isArray(v);

function splitName(name: string): [string, string] {
  const i = name.indexOf(':');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

class Builder {
  count = 0;

  element(name: string, body: unknown, rawAttrs: unknown, outer: ReadonlyMap<string, string>): El | string {
    if (++this.count > MAX_ELEMENTS) return `more than ${MAX_ELEMENTS} elements`;
    const scope = new Map(outer);
    const attrs = isRecord(rawAttrs) ? rawAttrs : {};
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v !== 'string') continue;
      if (k === 'xmlns') scope.set('', v);
      else if (k.startsWith('xmlns:')) scope.set(k.slice(6), v);
    }
    const [prefix, local] = splitName(name);
    const ns = scope.get(prefix);
    if (ns === undefined) return `element <${name.slice(0, 40)}> uses an undeclared prefix`;
    if (local === '' || local.includes(':')) return `element name <${name.slice(0, 40)}> is not a QName`;
    const resolved = new Map<string, string>();
    for (const [k, v] of Object.entries(attrs)) {
      if (typeof v !== 'string' || k === 'xmlns' || k.startsWith('xmlns:')) continue;
      const [ap, al] = splitName(k);
      if (ap === '') resolved.set(al, v);
      else if (ap === 'xml') resolved.set(`{http://www.w3.org/XML/1998/namespace}${al}`, v);
      else {
        const ans = scope.get(ap);
        if (ans === undefined || ans === XMLNS) return `attribute ${k.slice(0, 40)} uses an undeclared prefix`;
        resolved.set(`{${ans}}${al}`, v);
      }
    }
    const el: El = { ns, local, attrs: resolved, children: [], text: '', scope };
    const texts: string[] = [];
    for (const node of Array.isArray(body) ? body : []) {
      const child = this.node(node, scope);
      if (typeof child === 'string') return child;
      if (child === null) continue;
      if ('text' in child && !('local' in child)) texts.push(child.text);
      else el.children.push(child as El);
    }
    el.text = texts.join('');
    return el;
  }

  node(node: unknown, scope: ReadonlyMap<string, string>): El | { text: string } | string | null {
    if (!isRecord(node)) return 'an unexpected node';
    for (const [k, v] of Object.entries(node)) {
      if (k === ':@') continue;
      if (k === '#text') return { text: typeof v === 'string' ? v : String(v) };
      if (k.startsWith('!') || k.startsWith('?')) return null;
      return this.element(k, v, node[':@'], scope);
    }
    return null;
  }
}

/** Parses a whole document. A DTD is refused: SOAP 1.2 forbids one, and it is where entity bombs live. */
export function parseXml(input: Uint8Array | string): XmlResult {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (bytes > MAX_XML_BYTES) return { ok: false, reason: `the document is larger than ${MAX_XML_BYTES} bytes` };
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.length).toString('utf8');
  if (/<!DOCTYPE/i.test(text)) return { ok: false, reason: 'the document carries a DTD' };
  // Counted before parsing: the parser's cost grows with the markup, so refuse a flood of tags up front.
  let tags = 0;
  for (let i = text.indexOf('<'); i >= 0; i = text.indexOf('<', i + 1)) if (++tags > 2 * MAX_ELEMENTS) return { ok: false, reason: `more than ${MAX_ELEMENTS} elements` };
  try {
    const valid = XMLValidator.validate(text);
    if (valid !== true) return { ok: false, reason: `not well-formed XML (${valid.err.code} at line ${valid.err.line})` };
    const top: unknown = parser.parse(text);
    const b = new Builder();
    const roots: El[] = [];
    for (const node of Array.isArray(top) ? top : []) {
      const r = b.node(node, new Map([['', ''], ['xml', 'http://www.w3.org/XML/1998/namespace']]));
      if (typeof r === 'string') return { ok: false, reason: r };
      if (r !== null && 'local' in r) roots.push(r);
      else if (r !== null && r.text.trim() !== '') return { ok: false, reason: 'text outside the document element' };
    }
    const root = roots[0];
    if (roots.length !== 1 || root === undefined) return { ok: false, reason: `${roots.length} document elements, not 1` };
    return { ok: true, root };
  } catch (e) {
    return { ok: false, reason: `the XML parser failed: ${e instanceof Error ? e.message.slice(0, 120) : 'unknown'}` };
  }
}

export const child = (el: El, ns: string, local: string): El | undefined => el.children.find((c) => c.ns === ns && c.local === local);
export const children = (el: El, ns: string, local: string): El[] => el.children.filter((c) => c.ns === ns && c.local === local);

/** A QName written as element text ("wsa:DestinationUnreachable"), resolved against the element's scope. */
export function textQName(el: El): QName | null {
  const t = el.text.trim();
  const i = t.indexOf(':');
  const prefix = i < 0 ? '' : t.slice(0, i);
  const local = i < 0 ? t : t.slice(i + 1);
  const ns = el.scope.get(prefix);
  if (ns === undefined || local === '' || /[\s:]/.test(local)) return null;
  return { ns, local };
}
