// A wallet built on the OpenWallet Foundation's OpenID4VCI client (@openid4vc/openid4vci): it
// takes a credential offer link to a live Plaudit over HTTP, through the pre-authorized code
// flow (with the transaction code when the offer asks for one), proves a did:key made from a
// seed (a jwt proof, or a di_vp presentation signed with Digital Bazaar's stack), receives the
// credential and tells the issuer it was accepted. A received ldp_vc credential is verified
// with @digitalbazaar/vc, its status list fetched from the issuer and checked too.
//
// Input (stdin, JSON): {contexts: {url: document}, jobs: [{offer, configuration, proofType
//   ("jwt" | "di_vp"), seed (hex), txCode?}]}
// Output (stdout, JSON): {results: [{holder, credentialOffer, tokenType, configurationIds,
//   credential, notificationId, verified?, errors?} per job]}.
import crypto from "node:crypto";
import zlib from "node:zlib";

import * as vc from "@digitalbazaar/vc";
import { clientAuthenticationAnonymous } from "@openid4vc/oauth2";
import { Openid4vciClient, setGlobalConfig } from "@openid4vc/openid4vci";

import { RDFC, didKeySigner, offlineLoader, readInput, signingSuite, verifyingSuites } from "./offline.mjs";

// The test server speaks plain http on 127.0.0.1; the library insists on https unless told.
setGlobalConfig({ allowInsecureUrls: true });

const base64url = (bytes) => Buffer.from(bytes).toString("base64url");

// The Ed25519 key a 32-byte seed makes, as a public JWK (what the library wants back from a
// signature, to match against key attestations).
function publicJwk(seedHex) {
  const pkcs8 = Buffer.concat([
    Buffer.from("302e020100300506032b657004220420", "hex"),
    Buffer.from(seedHex, "hex"),
  ]);
  const key = crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const { kty, crv, x } = crypto.createPublicKey(key).export({ format: "jwk" });
  return { kty, crv, x };
}

// The callbacks the client needs: a JWT signer for the did:key (EdDSA), hashing and randomness
// (for PKCE and DPoP, unused here), and no client authentication (anonymous pre-authorized).
function callbacks(seedHex, sign) {
  return {
    fetch,
    hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace("-", "")).update(data).digest()),
    generateRandom: (length) => new Uint8Array(crypto.randomBytes(length)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== "did" || signer.alg !== "EdDSA") {
        throw new Error(`this wallet signs as its did:key with EdDSA, not ${signer.method}/${signer.alg}`);
      }
      const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
      const signature = await sign(new TextEncoder().encode(input));
      return { jwt: `${input}.${base64url(signature)}`, signerJwk: publicJwk(seedHex) };
    },
  };
}

// A Bitstring Status List check for @digitalbazaar/vc: the list credential is fetched from the
// issuer, its own proof verified, and the entry's bit read (index 0 is the first byte's high bit).
function statusChecker(documentLoader) {
  return async ({ credential }) => {
    for (const entry of [].concat(credential.credentialStatus ?? [])) {
      const list = await (await fetch(entry.statusListCredential)).json();
      const listResult = await vc.verifyCredential({
        credential: list,
        suite: verifyingSuites(),
        documentLoader,
      });
      if (!listResult.verified) return { verified: false, error: new Error("the status list does not verify") };
      const encoded = list.credentialSubject.encodedList.replace(/^u/, "");
      const bits = zlib.gunzipSync(Buffer.from(encoded, "base64url"));
      const index = Number(entry.statusListIndex);
      if ((bits[index >> 3] >> (7 - (index % 8))) & 1) {
        return { verified: false, error: new Error(`the credential's ${entry.statusPurpose} bit is set`) };
      }
    }
    return { verified: true };
  };
}

async function proofFor(job, client, issuerMetadata, cNonce, holder, documentLoader) {
  if (job.proofType === "jwt") {
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: job.configuration,
      signer: { method: "did", didUrl: holder.signer.id, alg: "EdDSA" },
      nonce: cNonce,
    });
    return { jwt: [jwt] };
  }
  const presentation = await vc.signPresentation({
    presentation: {
      "@context": ["https://www.w3.org/ns/credentials/v2"],
      type: ["VerifiablePresentation"],
      holder: holder.did,
    },
    suite: signingSuite(RDFC, { signer: holder.signer }),
    challenge: cNonce,
    domain: issuerMetadata.credentialIssuer.credential_issuer,
    documentLoader,
  });
  return { di_vp: [presentation] };
}

const input = await readInput();
const documentLoader = offlineLoader({ contexts: input.contexts });
const results = [];
for (const job of input.jobs) {
  const holder = await didKeySigner(job.seed);
  const sign = (data) => holder.signer.sign({ data });
  const client = new Openid4vciClient({ callbacks: callbacks(job.seed, sign) });
  const credentialOffer = await client.resolveCredentialOffer(job.offer);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    txCode: job.txCode,
  });
  const { c_nonce: cNonce } = await client.requestNonce({ issuerMetadata });
  const proofs = await proofFor(job, client, issuerMetadata, cNonce, holder, documentLoader);
  const { credentialResponse } = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: job.configuration,
    proofs,
  });
  const [{ credential }] = credentialResponse.credentials;
  const result = {
    holder: holder.did,
    version: issuerMetadata.originalDraftVersion,
    credentialOffer,
    tokenType: accessTokenResponse.token_type,
    credential,
    notificationId: credentialResponse.notification_id,
  };
  if (typeof credential === "object") {
    const verification = await vc.verifyCredential({
      credential,
      suite: verifyingSuites(),
      documentLoader,
      checkStatus: statusChecker(documentLoader),
    });
    result.verified = verification.verified === true;
    result.errors = [].concat(verification.error ?? []).map((e) => String(e.message ?? e));
  }
  await client.sendNotification({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    notification: { notificationId: credentialResponse.notification_id, event: "credential_accepted" },
  });
  results.push(result);
}
console.log(JSON.stringify({ results }));
