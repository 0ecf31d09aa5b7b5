import type { ClaimedJob, Storage } from "shiftwork";

/**
 * Calls `onClaimed` with every job a storage hands out, by `claim` alone or with results
 * (`recordAndClaim`, a draining Manager's usual path), after the claim committed. For test hosts
 * that journal what their process claimed.
 */
export function tapClaims(
  storage: Storage,
  onClaimed: (claimed: ClaimedJob[], now: number) => void,
): void {
  const claim = storage.claim.bind(storage);
  storage.claim = async (request) => {
    const claimed = await claim(request);
    onClaimed(claimed, request.now);
    return claimed;
  };
  const recordAndClaim = storage.recordAndClaim?.bind(storage);
  if (!recordAndClaim) return;
  storage.recordAndClaim = async (results, requests, now) => {
    const answer = await recordAndClaim(results, requests, now);
    for (const claimed of answer.claimed) onClaimed(claimed, now);
    return answer;
  };
}
