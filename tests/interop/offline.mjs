// What di-sign.mjs and di-verify.mjs share: reading the JSON input, an offline document loader,
// did:key signers made from a seed, and Digital Bazaar's two EdDSA Data Integrity suites.
// Nothing here touches the network: every document the libraries ask for comes from the input.
import * as eddsaJcs from "@digitalbazaar/eddsa-jcs-2022-cryptosuite";
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
import { DataIntegrityProof } from "@digitalbazaar/data-integrity";
import { driver as didKeyDriver } from "@digitalbazaar/did-method-key";
import { cryptosuite as rdfc } from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";

export const RDFC = "eddsa-rdfc-2022";
export const JCS = "eddsa-jcs-2022";

export async function readInput() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return JSON.parse(text);
}

// did:key documents come from Digital Bazaar's own resolver (Ed25519 Multikeys only).
const didKey = didKeyDriver();
didKey.use({ multibaseMultikeyHeader: "z6Mk", fromMultibase: Ed25519Multikey.from });

// A documentLoader serving only: the JSON-LD contexts given ({url: document}, Plaudit's bundled
// ones), the DID documents given ({did: document}, e.g. Plaudit's did:web documents) and the
// verification methods in them, and did:key DIDs and keys. Any other URL is an error, never a
// fetch. (jsonld-signatures wraps it and adds its own copies of the security v1/v2 contexts.)
export function offlineLoader({ contexts = {}, dids = {} } = {}) {
  const found = (url, document) => ({ contextUrl: null, documentUrl: url, document });
  return async (url) => {
    if (Object.hasOwn(contexts, url)) return { ...found(url, contexts[url]), tag: "static" };
    if (url.startsWith("did:key:")) return found(url, await didKey.get({ url }));
    const [did, fragment] = url.split("#");
    if (Object.hasOwn(dids, did)) {
      const document = dids[did];
      if (fragment === undefined) return found(url, document);
      const method = (document.verificationMethod ?? []).find(
        (m) => m.id === url || m.id === `#${fragment}`,
      );
      // A verification method is read with its DID document's contexts (Multikey's among them).
      if (method) return found(url, { "@context": document["@context"], ...method, id: url });
    }
    throw new Error(`${url} is not available offline (no such context, DID or key was given)`);
  };
}

// The did:key Ed25519 key a 32-byte seed (hex) makes, as Digital Bazaar would: its DID, and a
// signer whose id (the verificationMethod) is did:key:z6Mk…#z6Mk….
export async function didKeySigner(seedHex) {
  const seed = Uint8Array.from(Buffer.from(seedHex, "hex"));
  if (seed.length !== 32) throw new Error("a seed is 32 bytes, in hex");
  const key = await Ed25519Multikey.generate({ seed });
  const did = `did:key:${key.publicKeyMultibase}`;
  key.controller = did;
  key.id = `${did}#${key.publicKeyMultibase}`;
  return { did, signer: key.signer() };
}

// A suite that signs with `cryptosuite` (eddsa-jcs-2022 has separate sign and verify halves).
export function signingSuite(cryptosuite, options) {
  if (cryptosuite === RDFC) return new DataIntegrityProof({ ...options, cryptosuite: rdfc });
  if (cryptosuite === JCS) {
    return new DataIntegrityProof({ ...options, cryptosuite: eddsaJcs.createSignCryptosuite() });
  }
  throw new Error(`unsupported cryptosuite ${cryptosuite}`);
}

// Suites that verify either cryptosuite.
export function verifyingSuites() {
  return [
    new DataIntegrityProof({ cryptosuite: rdfc }),
    new DataIntegrityProof({ cryptosuite: eddsaJcs.createVerifyCryptosuite() }),
  ];
}
