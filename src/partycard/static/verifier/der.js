// A minimal strict DER (ITU-T X.690) walker and what the verifier reads with it: X.509 certificates
// and CRLs (RFC 5280), the party card's extensions (docs/trust.md), and ECDSA signature conversion.
// Pure functions, no DOM; every malformed input raises DerError.

import { hex } from "./codec.js";

export class DerError extends Error {}

export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  keyUsage: "2.5.29.15",
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  privateKeyUsagePeriod: "2.5.29.16",
  // partycard.trust.oids: under the deployment's arc, which the page's configuration names (oidArcSet);
  // until then the documentation arc 1.3.6.1.4.1.32473.1 (RFC 5612), as trust/oids.py's default.
  documentTypeList: "1.3.6.1.4.1.32473.1.1",
  trustListSigning: "1.3.6.1.4.1.32473.1.2",
};

/** Put partycard's own OIDs under ``arc`` (PARTYCARD_OID_ARC, docs/trust.md), as trust/oids.py does. */
export function oidArcSet(arc) {
  if (typeof arc !== "string" || !/^[0-2]\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/.test(arc)) {
    throw new DerError(`bad OID arc ${arc}`);
  }
  OID.documentTypeList = `${arc}.1`;
  OID.trustListSigning = `${arc}.2`;
}

/** One TLV at ``offset`` of ``bytes``: tag byte(s), class, constructed bit, the content's bounds. */
export function tlv(bytes, offset = 0, end = bytes.length) {
  if (offset + 2 > end) throw new DerError("truncated DER");
  const first = bytes[offset];
  let pos = offset + 1;
  let number = first & 0x1f;
  if (number === 0x1f) {
    number = 0;
    for (let i = 0; ; i++) {
      if (pos >= end || i > 3) throw new DerError("bad DER tag");
      const b = bytes[pos++];
      number = (number << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
  }
  if (pos >= end) throw new DerError("truncated DER");
  let len = bytes[pos++];
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0) throw new DerError("indefinite length is not DER");
    if (count > 4 || pos + count > end) throw new DerError("bad DER length");
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + bytes[pos++];
    if (len < 0x80 || (count > 1 && len < 256 ** (count - 1))) throw new DerError("non-minimal DER length");
  }
  if (pos + len > end) throw new DerError("DER content beyond its container");
  return {
    tag: first,
    cls: first >> 6,
    constructed: (first & 0x20) !== 0,
    number,
    start: offset,
    contentStart: pos,
    end: pos + len,
    raw: bytes.subarray(offset, pos + len),
    content: bytes.subarray(pos, pos + len),
    bytes,
  };
}

/** The TLVs inside a constructed one, in order. */
export function children(node) {
  if (!node.constructed) throw new DerError("not a constructed DER value");
  const out = [];
  let pos = node.contentStart;
  while (pos < node.end) {
    const child = tlv(node.bytes, pos, node.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Parse ``bytes`` as exactly one TLV (nothing after it). */
export function parseOne(bytes) {
  const node = tlv(bytes, 0, bytes.length);
  if (node.end !== bytes.length) throw new DerError("bytes after the DER value");
  return node;
}

function expect(node, tag, what) {
  if (!node || node.tag !== tag) throw new DerError(`${what}: unexpected DER tag`);
  return node;
}

export function oidText(node) {
  expect(node, 0x06, "OID");
  const c = node.content;
  if (!c.length) throw new DerError("empty OID");
  const parts = [];
  let value = 0;
  for (let i = 0; i < c.length; i++) {
    value = value * 128 + (c[i] & 0x7f);
    if (!(c[i] & 0x80)) {
      if (!parts.length) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    } else if (value === 0 && (c[i] & 0x7f) === 0) throw new DerError("non-minimal OID");
  }
  if (c[c.length - 1] & 0x80) throw new DerError("truncated OID");
  return parts.join(".");
}

/** An INTEGER's value as lowercase hex without leading zero bytes (how serials are compared). */
export function integerHex(node) {
  expect(node, 0x02, "INTEGER");
  let c = node.content;
  if (!c.length) throw new DerError("empty INTEGER");
  while (c.length > 1 && c[0] === 0) c = c.subarray(1);
  return hex(c);
}

export function bitString(node) {
  expect(node, 0x03, "BIT STRING");
  if (!node.content.length || node.content[0] > 7) throw new DerError("bad BIT STRING");
  return { unused: node.content[0], bytes: node.content.subarray(1) };
}

/** UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5: Zulu, seconds, no fractions) as a Date. */
export function timeOf(node) {
  const text = String.fromCharCode(...node.content);
  let m;
  if (node.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(m[1]);
    return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, m[2] - 1, m[3], m[4], m[5], m[6]));
  }
  if ((node.tag === 0x18 || node.tag === 0x80 || node.tag === 0x81) &&
      (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    return new Date(Date.UTC(Number(m[1]), m[2] - 1, m[3], m[4], m[5], m[6]));
  }
  throw new DerError("bad time");
}

function extensionsOf(node) {
  const map = new Map();
  for (const ext of children(expect(node, 0x30, "Extensions"))) {
    const parts = children(expect(ext, 0x30, "Extension"));
    const oid = oidText(parts[0]);
    let critical = false;
    let i = 1;
    if (parts[i] && parts[i].tag === 0x01) {
      critical = parts[i].content[0] !== 0;
      i++;
    }
    const value = expect(parts[i], 0x04, "extnValue").content;
    if (map.has(oid)) throw new DerError("duplicate extension");
    map.set(oid, { critical, value });
  }
  return map;
}

/** The parts of an X.509 certificate the verifier needs, with the exact DER of what is signed. */
export function parseCertificate(der) {
  const cert = parseOne(der);
  const [tbs, sigAlg, sigValue, ...rest] = children(expect(cert, 0x30, "Certificate"));
  if (rest.length) throw new DerError("extra fields in Certificate");
  const fields = children(expect(tbs, 0x30, "TBSCertificate"));
  let i = 0;
  let version = 0;
  if (fields[i] && fields[i].tag === 0xa0) {
    const v = children(fields[i])[0];
    version = Number(integerHex(v));
    i++;
  }
  const serial = integerHex(fields[i++]);
  const tbsSigAlg = oidText(children(expect(fields[i++], 0x30, "signature"))[0]);
  const issuer = expect(fields[i++], 0x30, "issuer").raw;
  const validity = children(expect(fields[i++], 0x30, "validity"));
  const subject = expect(fields[i++], 0x30, "subject").raw;
  const spkiNode = expect(fields[i++], 0x30, "subjectPublicKeyInfo");
  const spkiAlg = children(expect(children(spkiNode)[0], 0x30, "AlgorithmIdentifier"));
  let extensions = new Map();
  for (; i < fields.length; i++) {
    if (fields[i].tag === 0xa3) extensions = extensionsOf(children(fields[i])[0]);
    else if (fields[i].tag !== 0xa1 && fields[i].tag !== 0xa2) throw new DerError("unexpected field in TBSCertificate");
  }
  const algorithm = oidText(children(expect(sigAlg, 0x30, "signatureAlgorithm"))[0]);
  if (algorithm !== tbsSigAlg) throw new DerError("signature algorithms differ");
  return {
    der,
    version,
    serial,
    issuer,
    subject,
    notBefore: timeOf(validity[0]),
    notAfter: timeOf(validity[1]),
    spki: spkiNode.raw,
    keyAlgorithm: oidText(spkiAlg[0]),
    keyCurve: spkiAlg[1] && spkiAlg[1].tag === 0x06 ? oidText(spkiAlg[1]) : null,
    extensions,
    tbs: tbs.raw,
    signatureAlgorithm: algorithm,
    signature: bitString(sigValue).bytes,
  };
}

/** A CRL's issuer, signed part, signature and revoked serials (hex, see integerHex). */
export function parseCrl(der) {
  const crl = parseOne(der);
  const [tbs, sigAlg, sigValue, ...rest] = children(expect(crl, 0x30, "CertificateList"));
  if (rest.length) throw new DerError("extra fields in CertificateList");
  const fields = children(expect(tbs, 0x30, "TBSCertList"));
  let i = 0;
  if (fields[i] && fields[i].tag === 0x02) i++; // version
  const tbsSigAlg = oidText(children(expect(fields[i++], 0x30, "signature"))[0]);
  const issuer = expect(fields[i++], 0x30, "issuer").raw;
  const thisUpdate = timeOf(fields[i++]);
  let nextUpdate = null;
  if (fields[i] && (fields[i].tag === 0x17 || fields[i].tag === 0x18)) nextUpdate = timeOf(fields[i++]);
  const revoked = new Set();
  if (fields[i] && fields[i].tag === 0x30) {
    for (const entry of children(fields[i++])) revoked.add(integerHex(children(expect(entry, 0x30, "revoked"))[0]));
  }
  const algorithm = oidText(children(expect(sigAlg, 0x30, "signatureAlgorithm"))[0]);
  if (algorithm !== tbsSigAlg) throw new DerError("signature algorithms differ");
  return { der, issuer, thisUpdate, nextUpdate, revoked, tbs: tbs.raw, signatureAlgorithm: algorithm,
    signature: bitString(sigValue).bytes };
}

// --- extensions -----------------------------------------------------------------------------------
export function keyUsageDigitalSignature(cert) {
  const ext = cert.extensions.get(OID.keyUsage);
  if (!ext) return false;
  const { bytes } = bitString(parseOne(ext.value));
  return bytes.length > 0 && (bytes[0] & 0x80) !== 0;
}

export function basicConstraintsCa(cert) {
  const ext = cert.extensions.get(OID.basicConstraints);
  if (!ext) return null; // absent
  const parts = children(expect(parseOne(ext.value), 0x30, "BasicConstraints"));
  return parts.length > 0 && parts[0].tag === 0x01 && parts[0].content[0] !== 0;
}

export function extendedKeyUsages(cert) {
  const ext = cert.extensions.get(OID.extKeyUsage);
  if (!ext) return null;
  return children(expect(parseOne(ext.value), 0x30, "ExtKeyUsage")).map(oidText);
}

/** DocumentTypeListSyntax ::= SEQUENCE { version INTEGER, docTypeList SET OF PrintableString }. */
export function documentTypes(cert) {
  const ext = cert.extensions.get(OID.documentTypeList);
  if (!ext) return [];
  const [, list] = children(expect(parseOne(ext.value), 0x30, "DocumentTypeListSyntax"));
  return children(expect(list, 0x31, "docTypeList")).map((s) => String.fromCharCode(...s.content));
}

/** The private key usage period (RFC 3280 §4.2.1.4) as {notBefore, notAfter} (either may be null);
 *  null when the certificate has none. */
export function privateKeyUsagePeriod(cert) {
  const ext = cert.extensions.get(OID.privateKeyUsagePeriod);
  if (!ext) return null;
  const period = { notBefore: null, notAfter: null };
  for (const part of children(expect(parseOne(ext.value), 0x30, "PrivateKeyUsagePeriod"))) {
    if (part.tag === 0x80) period.notBefore = timeOf(part);
    else if (part.tag === 0x81) period.notAfter = timeOf(part);
  }
  return period;
}

// --- ECDSA signature formats (trust/ecdsa.py) -----------------------------------------------------
/** DER Ecdsa-Sig-Value → plain r || s of 2 × ``size`` bytes, what WebCrypto verifies. */
export function ecdsaDerToPlain(der, size = 32) {
  const [r, s, ...rest] = children(expect(parseOne(der), 0x30, "Ecdsa-Sig-Value"));
  if (rest.length) throw new DerError("extra fields in Ecdsa-Sig-Value");
  const out = new Uint8Array(2 * size);
  for (const [k, n] of [[0, r], [1, s]]) {
    let c = expect(n, 0x02, "r, s").content;
    if (!c.length || c[0] & 0x80) throw new DerError("negative or empty r, s");
    while (c.length > 1 && c[0] === 0) c = c.subarray(1);
    if (c.length > size) throw new DerError("r or s longer than the curve");
    out.set(c, k * size + size - c.length);
  }
  return out;
}

/** PEM text → the DER bytes of its first block of ``label``. */
export function pemDecode(text, label = "CERTIFICATE") {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text || "");
  if (!m) throw new DerError(`no ${label} in the PEM text`);
  const b64 = m[1].replace(/\s+/g, "");
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
