/**
 * The libp2p identity of a node, kept in its data dir (like geth's `nodekey`): the peer id in a
 * `--follow .../p2p/<id>` address then survives restarts, so followers keep following.
 * The file holds the libp2p protobuf encoding of an Ed25519 private key, mode 0600.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";

export const NODE_KEY_FILE = "nodekey";

export type NodeKey = ReturnType<typeof privateKeyFromProtobuf>;

/** Load `<dataDir>/nodekey`, or make one and write it (created exclusively: never overwritten). */
export async function loadOrCreateNodeKey(dataDir: string): Promise<NodeKey> {
  const path = join(dataDir, NODE_KEY_FILE);
  if (existsSync(path)) {
    try {
      return privateKeyFromProtobuf(readFileSync(path));
    } catch (e) {
      throw new Error(
        `${path} is not a libp2p private key (${(e as Error).message}); move it away to make a new one`,
      );
    }
  }
  const key = await generateKeyPair("Ed25519");
  writeFileSync(path, privateKeyToProtobuf(key), { mode: 0o600, flag: "wx" });
  return key;
}
