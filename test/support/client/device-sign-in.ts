// Completes a device-code sign-in the way a person at a browser would: open the verification page, type the user
// code, sign in on the login page, consent. Drives oidc-provider's own HTML pages with plain HTTPS requests and a
// cookie jar (its interaction state lives in cookies).
import { request } from 'node:https';

interface Page {
  status: number;
  location?: string;
  body: string;
}

class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly ca: string) {}

  send(url: string, form?: Record<string, string>): Promise<Page> {
    return new Promise((resolve, reject) => {
      const body = form ? new URLSearchParams(form).toString() : undefined;
      const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const req = request(url, { method: form ? 'POST' : 'GET', ca: this.ca, headers }, (res) => {
        for (const line of res.headers['set-cookie'] ?? []) {
          const [pair] = line.split(';');
          const eq = pair?.indexOf('=') ?? -1;
          if (pair && eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: new URL(res.headers.location, url).href } : {}), body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Follows redirects the way a browser does (GET after a 3xx). */
  async follow(url: string, form?: Record<string, string>): Promise<{ url: string; page: Page }> {
    let page = await this.send(url, form);
    let current = url;
    for (let hops = 0; page.location && page.status >= 300 && page.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      current = page.location;
      page = await this.send(current);
    }
    return { url: current, page };
  }
}

/** The first form's action and hidden fields. */
function readForm(html: string, pageUrl: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form?.[1]) throw new Error(`no form on ${pageUrl}: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]?.matchAll(/<input[^>]*type="hidden"[^>]*>/gi) ?? []) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name) fields[name] = value ?? '';
  }
  return { action: new URL(form[1].replace(/&amp;/g, '&'), pageUrl).href, fields };
}

/** Enters `userCode` at `verificationUri`, signs in as `login`, consents; resolves when the success page shows. */
export async function completeDeviceSignIn(verificationUri: string, userCode: string, login: string, ca: string): Promise<void> {
  const browser = new Browser(ca);
  let { url, page } = await browser.follow(verificationUri);
  // The code entry page, then the "is this the code on your device?" confirmation.
  let form = readForm(page.body, url);
  ({ url, page } = await browser.follow(form.action, { ...form.fields, user_code: userCode }));
  for (let step = 0; step < 5; step++) {
    if (/Sign-in Success/i.test(page.body)) return;
    form = readForm(page.body, url);
    const extra: Record<string, string> = /name="login"/.test(page.body) ? { login, password: 'any' } : {};
    ({ url, page } = await browser.follow(form.action, { ...form.fields, ...extra }));
  }
  throw new Error(`device sign-in did not reach the success page; last page ${url}: ${page.body.slice(0, 300)}`);
}
