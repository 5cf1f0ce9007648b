/**
 * Certificates and keys of the test control plane: one CA that signs the serving certificates
 * (kube-apiserver, the fault proxy, the webhook stand-in) and the client certificates of the
 * control-plane components, plus the service-account signing key. Keys come from Node's native
 * generator (fast); node-forge builds and signs the X.509 certificates, so no ASN.1 is written here.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A certificate and its key, PEM. */
export interface KeyPair {
  certPem: string;
  /** PKCS#1 RSA private key. */
  keyPem: string;
}

/** What a certificate is for. */
export interface CertRequest {
  commonName: string;
  /** Subject organization(s): for client certificates these are the Kubernetes groups. */
  organizations?: string[];
  /** DNS names and IP addresses (SANs) for serving certificates. */
  dnsNames?: string[];
  ips?: string[];
  usage: 'server' | 'client' | 'both';
}

/** The CA of one control plane. */
export interface CertificateAuthority {
  caPem: string;
  /** Issues a certificate signed by this CA, with a fresh RSA 2048 key. */
  issue(req: CertRequest): Promise<KeyPair>;
  /** Issues a certificate for an existing key (PKCS#1 PEM): cheap, used per TLS server name. */
  issueFor(keyPem: string, req: CertRequest): string;
}

/** Returns a new RSA 2048 private key, PKCS#1 PEM. */
export async function rsaKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return privateKey;
}

/**
 * A positive serial number in hex. X.509 serials must not be negative, so the top bit stays clear;
 * and the first nibble is never 0, because a leading 0x00 byte before one whose top bit is clear
 * is not minimal DER, and OpenSSL then refuses the certificate ("illegal padding", about one
 * certificate in 256 otherwise).
 */
export function serialNumber(): string {
  const hex = forge.util.bytesToHex(forge.random.getBytesSync(16));
  return ((parseInt(hex[0]!, 16) & 0x7) || 1).toString(16) + hex.slice(1);
}

/** Validity window: from a day ago (clock skew between processes is harmless) to ten years ahead. */
function setValidity(cert: forge.pki.Certificate): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now + 10 * 365 * 24 * 3600 * 1000);
}

function publicKeyOf(keyPem: string): forge.pki.rsa.PublicKey {
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return forge.pki.setRsaPublicKey(key.n, key.e);
}

/** Returns a new CA (SHA-256, ten years) that issues serving and client certificates. */
export async function newCertificateAuthority(name = 'meshctl-test-control-plane-ca'): Promise<CertificateAuthority> {
  const caKeyPem = await rsaKeyPem();
  const caKey = forge.pki.privateKeyFromPem(caKeyPem) as forge.pki.rsa.PrivateKey;
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = publicKeyOf(caKeyPem);
  caCert.serialNumber = serialNumber();
  setValidity(caCert);
  const subject = [{ name: 'commonName', value: name }];
  caCert.setSubject(subject);
  caCert.setIssuer(subject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(caKey, forge.md.sha256.create());
  const caKeyId = caCert.generateSubjectKeyIdentifier().getBytes();

  const issueFor = (keyPem: string, req: CertRequest): string => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = publicKeyOf(keyPem);
    cert.serialNumber = serialNumber();
    setValidity(cert);
    cert.setSubject([
      ...(req.organizations ?? []).map((o) => ({ name: 'organizationName', value: o })),
      { name: 'commonName', value: req.commonName },
    ]);
    cert.setIssuer(subject);
    // type 7 = IP address, type 2 = DNS name (RFC 5280 GeneralName).
    const altNames = [...(req.dnsNames ?? []).map((value) => ({ type: 2, value })), ...(req.ips ?? []).map((ip) => ({ type: 7, ip }))];
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: req.usage !== 'client', clientAuth: req.usage !== 'server' },
      ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
      { name: 'authorityKeyIdentifier', keyIdentifier: caKeyId },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };

  return {
    caPem: forge.pki.certificateToPem(caCert),
    issueFor,
    async issue(req) {
      const keyPem = await rsaKeyPem();
      return { keyPem, certPem: issueFor(keyPem, req) };
    },
  };
}
