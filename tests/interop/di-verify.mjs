// Verify credentials and presentations with Digital Bazaar's @digitalbazaar/vc, as a third party
// would: vc.verifyCredential, or vc.verify (the library's presentation verifier) with the expected
// challenge and domain; eddsa-rdfc-2022 and eddsa-jcs-2022 proofs are accepted. Keys come from
// the DID documents given (e.g. Plaudit's did:web documents) or from did:key; nothing is fetched.
//
// Input (stdin, JSON): {contexts: {url: document}, dids: {did: document},
//   jobs: [{document, challenge?, domain?}]}
// Output (stdout, JSON): {results: [{verified, errors: [message, ...]} per job]}.
import * as vc from "@digitalbazaar/vc";

import { offlineLoader, readInput, verifyingSuites } from "./offline.mjs";

// The messages of every error in a result: the library nests them per proof, per purpose, per
// credential of a presentation, and sometimes as arrays.
function errorMessages(result) {
  const messages = [];
  const walk = (error) => {
    if (!error) return;
    if (Array.isArray(error)) return error.forEach(walk);
    messages.push(String(error.message ?? error));
    walk(error.errors);
  };
  const walkResult = (r) => {
    if (!r) return;
    walk(r.error);
    for (const proof of r.results ?? []) {
      walk(proof.error);
      walk(proof.purposeResult?.error);
    }
    walkResult(r.presentationResult);
    (r.credentialResults ?? []).forEach(walkResult);
  };
  walkResult(result);
  return [...new Set(messages)];
}

const input = await readInput();
const documentLoader = offlineLoader({ contexts: input.contexts, dids: input.dids });
const results = [];
for (const job of input.jobs) {
  const { document } = job;
  const suite = verifyingSuites();
  const result = [].concat(document.type ?? []).includes("VerifiablePresentation")
    ? await vc.verify({
        presentation: document,
        suite,
        challenge: job.challenge,
        domain: job.domain,
        documentLoader,
      })
    : await vc.verifyCredential({ credential: document, suite, documentLoader });
  results.push({ verified: result.verified === true, errors: errorMessages(result) });
}
console.log(JSON.stringify({ results }));
