// The control plane's certificates must load in OpenSSL (Node's X509Certificate and TLS use it)
// every time: one that does not, even rarely, fails a whole test file's control plane.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newCertificateAuthority, rsaKeyPem, serialNumber } from './pki.js';

describe('the control plane CA', () => {
  it('draws serials that are positive and minimal in DER: first nibble 1 to 7', () => {
    // The old rule let the first nibble be 0 one time in eight: a leading 0x00 byte, refused by OpenSSL when the next byte is below 0x80.
    const serials = Array.from({ length: 5000 }, serialNumber);
    expect(serials.filter((s) => !/^[1-7][0-9a-f]{31}$/.test(s))).toEqual([]);
  });

  it('issues certificates OpenSSL accepts, signed by the CA, with the SANs asked for', async () => {
    const ca = await newCertificateAuthority();
    const caCert = new X509Certificate(ca.caPem);
    const key = await rsaKeyPem();
    for (let i = 0; i < 5; i++) {
      const cert = new X509Certificate(ca.issueFor(key, { commonName: `c${i}`, dnsNames: ['istiod.istio-system.svc'], ips: ['127.0.0.1'], usage: 'server' }));
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe('DNS:istiod.istio-system.svc, IP Address:127.0.0.1');
      expect(cert.serialNumber).toMatch(/^[1-7][0-9A-F]{31}$/);
    }
  });
});
