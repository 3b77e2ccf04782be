/** The bootstrap section of `npm run bench` (in progress: needs `netstrap lab` and `netstrap bootstrap`). */
export async function bootstrapBench(_options: { sizes: number[]; repetitions: number; ansible: boolean }): Promise<{ markdown: string; problems: string[] }> {
  return { markdown: 'Not measured yet: waiting for `netstrap lab` and `netstrap bootstrap`.', problems: [] };
}
