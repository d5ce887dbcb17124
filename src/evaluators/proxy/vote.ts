/**
 * The vote ensemble of Abdelfattah et al. 2021: a majority vote of synflow, jacob_cov and snip. A vote
 * compares two nets; to score one net on its own it is compared with a fixed reference set of nets,
 * and its score is the share of them it beats by majority (a tie, when as many members say higher as
 * say lower, counts half). With the scored set itself as the reference this is the Copeland count of
 * the pairwise votes, which is how bench/proxies-nb201.ts ranks a sample.
 */
export const VOTE_MEMBERS = ['synflow', 'jacob_cov', 'snip'] as const;

/** `candidate[m]` and `reference[r][m]`: member m's score; `skip`: a reference index not to compare with (the candidate itself). */
export function voteScore(candidate: readonly number[], reference: readonly (readonly number[])[], skip = -1): number {
  let wins = 0;
  let compared = 0;
  reference.forEach((ref, r) => {
    if (r === skip) return;
    let balance = 0;
    for (let m = 0; m < candidate.length; m++) balance += Math.sign(candidate[m] - ref[m]);
    wins += balance > 0 ? 1 : balance === 0 ? 0.5 : 0;
    compared++;
  });
  return compared === 0 ? 0.5 : wins / compared;
}

/**
 * How the vote's figure in Abdelfattah et al. 2021 is computed (their notebook nasbench201_correlations):
 * not a rank correlation but the share of ordered pairs of nets (i ≠ j, accuracies not equal) on which
 * the majority vote agrees with the accuracy. The majority says "i above j" when at least half of the
 * members' score differences are strictly positive, "below" otherwise (a zero difference counts as below,
 * as there). `members[i][m]`: member m's score of net i.
 */
export function votePairAgreement(members: readonly (readonly number[])[], accuracy: readonly number[]): number {
  let right = 0;
  let total = 0;
  for (let i = 0; i < members.length; i++)
    for (let j = 0; j < members.length; j++) {
      if (i === j || accuracy[i] === accuracy[j]) continue;
      let positive = 0;
      for (let m = 0; m < members[i].length; m++) if (members[i][m] - members[j][m] > 0) positive++;
      const above = positive >= members[i].length / 2;
      if (above === accuracy[i] > accuracy[j]) right++;
      total++;
    }
  return total === 0 ? NaN : right / total;
}
