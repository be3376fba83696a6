// Whether an authority is Microsoft Entra ID (msal-node's home) or another OpenID issuer. Kept free of
// dependencies: get-token asks it on every kubectl call, before it knows which client library it needs.
const ENTRA_HOSTS = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn', 'login.windows.net', 'login.microsoft.com']);

export function isEntraAuthority(authority: string): boolean {
  return ENTRA_HOSTS.has(new URL(authority).hostname.toLowerCase());
}
