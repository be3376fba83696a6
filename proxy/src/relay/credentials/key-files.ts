// The relay's Ed25519 signing key pair as PEM files: PKCS#8 private key (mode 0600, needed only where tokens are
// minted) and SPKI public key (all a relay needs).
import { chmod, writeFile } from 'node:fs/promises';
import { exportPKCS8, exportSPKI, generateKeyPair, importPKCS8, importSPKI } from 'jose';
import { readFlagFileAsync } from '../../common/flag-file.js';
import { RELAY_TOKEN_ALGORITHM } from './relay-token.js';

export type RelayKey = Awaited<ReturnType<typeof importSPKI>>;

export interface KeyPairFiles {
  privateKeyFile: string;
  publicKeyFile: string;
}

/** Writes a new key pair; refuses to overwrite an existing private key unless `overwrite` (a lost key voids every token). */
export async function generateKeyPairFiles(files: KeyPairFiles, overwrite = false): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair(RELAY_TOKEN_ALGORITHM, { extractable: true });
  const flag = overwrite ? 'w' : 'wx';
  try {
    await writeFile(files.privateKeyFile, await exportPKCS8(privateKey), { mode: 0o600, flag });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${files.privateKeyFile} already exists; pass --force to replace it (tokens signed with it stop working)`, { cause: error });
    throw error;
  }
  // writeFile's mode only applies when it creates the file; an overwritten file keeps its old mode.
  await chmod(files.privateKeyFile, 0o600);
  await writeFile(files.publicKeyFile, await exportSPKI(publicKey), { mode: 0o644, flag: 'w' });
}

/** The key of `relay issue-token --key`; errors name that flag. */
export async function loadPrivateKey(file: string): Promise<RelayKey> {
  const pem = await readFlagFileAsync(file, '--key');
  try {
    return await importPKCS8(pem, RELAY_TOKEN_ALGORITHM);
  } catch {
    throw new Error(`${file} is not an Ed25519 private key in PKCS#8 PEM (make one with: clusterconnect relay keygen)`);
  }
}

/** The relay's `--public-key-file`; errors name that flag. */
export async function loadPublicKey(file: string): Promise<RelayKey> {
  const pem = await readFlagFileAsync(file, '--public-key-file');
  try {
    return await importSPKI(pem, RELAY_TOKEN_ALGORITHM);
  } catch {
    throw new Error(`${file} is not an Ed25519 public key in SPKI PEM (make one with: clusterconnect relay keygen)`);
  }
}
