/** A self-signed EC certificate for secure.dev (valid 100 years) and its key, for model tests. */
export const CERT = `-----BEGIN CERTIFICATE-----
MIIBlzCCAT6gAwIBAgIUEpPgofh0IT2qGkvOJoeTXQZADQUwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKc2VjdXJlLmRldjAgFw0yNjExMjEyMDU2MDJaGA8yMTI2MTAy
ODIwNTYwMlowFTETMBEGA1UEAwwKc2VjdXJlLmRldjBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABNvHMM0wAvPoPO6rWHyte+W6KmS2GVTzAbqmQnLq+XVzjOqigmdR
HA7b+IXBvy+kbNf40yhDf6OE8I3Y5SMjsV+jajBoMB0GA1UdDgQWBBS7L8OcIVbj
rwL1xKjmMg35U98h/zAfBgNVHSMEGDAWgBS7L8OcIVbjrwL1xKjmMg35U98h/zAP
BgNVHRMBAf8EBTADAQH/MBUGA1UdEQQOMAyCCnNlY3VyZS5kZXYwCgYIKoZIzj0E
AwIDRwAwRAIgZ+Xa9d+UhMXYTQ/SzX2a4aO6hInsUZPDN6dmHVWlo0cCIHIG3PfI
KzaD//aVKz2z99eqclSiAepgPs0b7ehRnF08
-----END CERTIFICATE-----
`;
export const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgckbpOfZyWL12uN4d
TfoB8GU2zlgnIHZ22PRo3Kg1amqhRANCAATbxzDNMALz6Dzuq1h8rXvluipkthlU
8wG6pkJy6vl1c4zqooJnURwO2/iFwb8vpGzX+NMoQ3+jhPCN2OUjI7Ff
-----END PRIVATE KEY-----
`;

/** Routing Secret data holding the pair and a client CA. */
export const tlsData = { 'ssl.crt': CERT, 'ssl.key': KEY, 'client.crt': CERT };

/** The ssl options of a host referring to {@link tlsData}. */
export function sslRefs(client: boolean): Record<string, unknown> {
  const ref = (key: string): unknown => ({ valueFrom: { secretKeyRef: { key } } });
  return {
    certificate: ref('ssl.crt'),
    certificateKey: ref('ssl.key'),
    ...(client ? { clientCertificate: ref('client.crt') } : {}),
  };
}
