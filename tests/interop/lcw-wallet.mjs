// A wallet built from Digital Bazaar's libraries that claims a credential over HTTP the way the
// DCC's Learner Credential Wallet does (app/lib/exchanges.ts and credentialRequest.ts), then
// checks what it received as a wallet would: the issuer's proof, and the credential's status in
// the issuer's Bitstring Status List, fetched from the issuer.
//
// Input (stdin, JSON): {mode, seed (32 bytes, hex), contexts: {url: document}, userAgent?,
//   version? (the presentation's VC version, 2.0 unless given), and per mode:
//   "vcapi":   interactionUrl — GET it for the protocols, POST {} to protocols.vcapi, sign the
//              DIDAuthentication the request asks for (its challenge and domain), POST
//              {verifiablePresentation} to the request's interact service, read the credentials
//              from the verifiablePresentation it answers;
//   "request": lcwLink — the https://lcw.app/request.html?... link (auth_type=bearer): sign a
//              presentation with its challenge (no domain, no Authorization header, as the LCW
//              does) and POST it bare to vc_request_url, which answers the credential.}
// Output (stdout, JSON): {did, exchanges: [{method, url, status, body}] (the wallet stops at the
//   first answer that is not 2xx), credentials, verified: [{verified, errors, status}] per
//   credential, status being whether the status check passed}.
import * as vc from "@digitalbazaar/vc";
import { gunzipSync } from "node:zlib";

import {
  RDFC,
  didKeySigner,
  offlineLoader,
  readInput,
  signingSuite,
  verifyingSuites,
} from "./offline.mjs";

const input = await readInput();
const documentLoader = offlineLoader({ contexts: input.contexts });
const { did, signer } = await didKeySigner(input.seed);
const exchanges = [];

async function call(method, url, body) {
  const headers = { Accept: "application/json" };
  if (input.userAgent) headers["User-Agent"] = input.userAgent;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  exchanges.push({ method, url, status: response.status, body: parsed });
  if (!response.ok) throw new Stop();
  return parsed;
}

class Stop extends Error {}

async function didAuthentication({ challenge, domain }) {
  const presentation = vc.createPresentation({ holder: did, version: input.version ?? 2.0 });
  return vc.signPresentation({
    presentation,
    suite: signingSuite(RDFC, { signer }),
    challenge,
    domain,
    documentLoader,
  });
}

async function claimByExchange() {
  const { protocols } = await call("GET", input.interactionUrl);
  const { verifiablePresentationRequest: request } = await call("POST", protocols.vcapi, {});
  const queries = [].concat(request.query);
  if (!queries.some((q) => q.type === "DIDAuthentication")) {
    throw new Error(`the exchange asked for no DID authentication: ${JSON.stringify(request)}`);
  }
  const verifiablePresentation = await didAuthentication(request);
  const endpoint = request.interact?.service?.[0]?.serviceEndpoint ?? protocols.vcapi;
  const answer = await call("POST", endpoint, { verifiablePresentation });
  return [].concat(answer.verifiablePresentation?.verifiableCredential ?? []);
}

async function claimByRequestLink() {
  const link = new URL(input.lcwLink);
  const challenge = link.searchParams.get("challenge");
  const requestUrl = link.searchParams.get("vc_request_url");
  if (link.searchParams.get("auth_type") !== "bearer" || !challenge || !requestUrl) {
    throw new Error(`not an LCW bearer request link: ${input.lcwLink}`);
  }
  const answer = await call("POST", requestUrl, await didAuthentication({ challenge }));
  return [].concat(answer.verifiableCredential ?? answer);
}

// BitstringStatusListEntry: fetch the list credential from the issuer, check its proof, and
// read the bit (index 0 is the most significant bit of the first byte).
async function checkStatus({ credential }) {
  const revoked = [];
  for (const entry of [].concat(credential.credentialStatus)) {
    const response = await fetch(entry.statusListCredential);
    if (!response.ok) return { verified: false, error: new Error(`status list ${response.status}`) };
    const list = await response.json();
    const listResult = await vc.verifyCredential({
      credential: list,
      suite: verifyingSuites(),
      documentLoader,
    });
    if (!listResult.verified) {
      return { verified: false, error: new Error("the status list's proof does not verify") };
    }
    const bits = gunzipSync(Buffer.from(list.credentialSubject.encodedList.slice(1), "base64url"));
    const index = Number(entry.statusListIndex);
    if (bits[index >> 3] & (0x80 >> (index % 8))) revoked.push(entry.statusPurpose);
  }
  return revoked.length === 0
    ? { verified: true }
    : { verified: false, error: new Error(`the credential is marked: ${revoked.join(", ")}`) };
}

async function verify(credential) {
  const result = await vc.verifyCredential({
    credential,
    suite: verifyingSuites(),
    documentLoader,
    checkStatus,
  });
  const errors = [];
  const walk = (error) => {
    if (!error) return;
    if (Array.isArray(error)) return error.forEach(walk);
    errors.push(String(error.message ?? error));
    walk(error.errors);
  };
  walk(result.error);
  for (const proof of result.results ?? []) walk(proof.error);
  walk(result.statusResult?.error);
  return {
    verified: result.verified === true,
    errors: [...new Set(errors)],
    status: result.statusResult?.verified ?? null,
  };
}

let credentials = [];
try {
  credentials =
    input.mode === "request" ? await claimByRequestLink() : await claimByExchange();
} catch (error) {
  if (!(error instanceof Stop)) throw error;
}
const verified = [];
for (const credential of credentials) verified.push(await verify(credential));
console.log(JSON.stringify({ did, exchanges, credentials, verified }));
