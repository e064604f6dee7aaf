// What every template fills in: the facts from constants.ts and the sample device the test
// events use, so handler code and events agree.

export interface TemplateValues {
  readonly name: string;
  readonly tokenKeyName?: string;
  readonly defaultRegion: string;
  readonly defaultAccountId: string;
  readonly accountIdEnv: string;
  readonly policyVersion: string;
  readonly principalMaxLength: number;
  readonly refreshSeconds: number;
  readonly disconnectSeconds: number;
  /** Smallest refresh/disconnect AWS accepts: what a denial answers with. */
  readonly minSeconds: number;
  readonly sampleDevice: string;
  readonly sampleToken: string;
  readonly samplePasswordSha256: string;
  /** SPKI PEM of the JWT issuer key (jwt-bearer only). */
  readonly jwtPublicKeyPem: string;
}
