// The tests' sr25519 signer, from an independent implementation (polkadot-js's keyring), for the
// pg_regress tests that need a hotkey's signature (regress/helpers.sql, `:polkadot`):
//   node polkadot_sign.mjs address URI          the SS58 address (prefix 42) of //Alice, ...
//   node polkadot_sign.mjs sign URI HEX         a signature (hex, 64 bytes) of the bytes HEX
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

await cryptoWaitReady();
const [command, uri, message] = process.argv.slice(2);
const pair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(uri);
if (command === 'address') {
  process.stdout.write(pair.address);
} else if (command === 'sign') {
  process.stdout.write(u8aToHex(pair.sign(hexToU8a(`0x${message}`))).slice(2));
} else {
  console.error('usage: polkadot_sign.mjs address URI | sign URI HEX');
  process.exit(2);
}
