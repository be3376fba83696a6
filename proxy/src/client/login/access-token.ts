// The shapes shared by the sign-in flows.

/** An access token and when it stops being valid. Never logged. */
export interface AccessToken {
  token: string;
  expiresOn: Date;
}

/** What a device-code sign-in shows the user: where to go and which code to enter. */
export interface DeviceCodeInfo {
  verificationUri: string;
  userCode: string;
  /** The URI with the code filled in, when the issuer offers one. */
  verificationUriComplete?: string;
  expiresInSeconds: number;
}

export type DeviceCodePrompt = (info: DeviceCodeInfo) => void;
