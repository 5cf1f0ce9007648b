/**
 * Certificates for the test API server: a self-signed CA and a server certificate it signs, valid
 * for 127.0.0.1 and localhost. Keys come from Node's native RSA generator (fast); node-forge
 * builds and signs the X.509 certificates, so no ASN.1 is written by hand here.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** PEM material of one CA and the server certificate it signed. */
export interface TestCertificates {
  /** The CA certificate, PEM; goes into the kubeconfig as certificate-authority-data. */
  caPem: string;
  /** The server certificate, PEM, SAN 127.0.0.1 and localhost. */
  certPem: string;
  /** The server's private key, PEM (PKCS#1). */
  keyPem: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Returns a new RSA 2048 key pair as node-forge objects. */
async function rsaKeyPair(): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey }> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

/** A positive serial number in hex: X.509 serials must not be negative, so the top bit stays clear. */
function serialNumber(): string {
  const bytes = forge.random.getBytesSync(16);
  const hex = forge.util.bytesToHex(bytes);
  return (parseInt(hex[0]!, 16) & 0x7).toString(16) + hex.slice(1);
}

/** Validity window: from a day ago (clock skew between processes is harmless) to ten years ahead. */
function setValidity(cert: forge.pki.Certificate): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now + 10 * 365 * 24 * 3600 * 1000);
}

/** Generates a CA and a server certificate for 127.0.0.1/localhost signed by it (SHA-256). */
async function generate(): Promise<TestCertificates> {
  const [ca, server] = await Promise.all([rsaKeyPair(), rsaKeyPair()]);

  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.publicKey;
  caCert.serialNumber = serialNumber();
  setValidity(caCert);
  const caSubject = [{ name: 'commonName', value: 'meshctl-test-cluster-ca' }];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const cert = forge.pki.createCertificate();
  cert.publicKey = server.publicKey;
  cert.serialNumber = serialNumber();
  setValidity(cert);
  cert.setSubject([{ name: 'commonName', value: 'kube-apiserver' }]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // type 7 = IP address, type 2 = DNS name (RFC 5280 GeneralName).
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());

  return {
    caPem: forge.pki.certificateToPem(caCert),
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(server.privateKey),
  };
}

let cached: Promise<TestCertificates> | undefined;

/**
 * Returns the process-wide test certificates, generating them on first use. Every test cluster
 * of a process shares them: key generation is the slowest part of starting a server, and the
 * certificates carry no per-server data (all servers listen on 127.0.0.1).
 */
export function testCertificates(): Promise<TestCertificates> {
  cached ??= generate().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}
