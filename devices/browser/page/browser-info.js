// What the page can say about the browser it runs in (shared by the bench and remote pages).

/** The browser itself: user agent, full version where the browser tells it (Chromium's UA-CH), cores. */
export async function browserInfo() {
  let version = '';
  try {
    const high = await navigator.userAgentData?.getHighEntropyValues(['fullVersionList']);
    const brand = high?.fullVersionList?.find((b) => /Chrom|Edge|Opera/.test(b.brand) && !/Not/.test(b.brand));
    if (brand) version = `${brand.brand} ${brand.version}`;
  } catch {
    // Not offered (Firefox, Safari): the user agent string says what there is to say.
  }
  return { userAgent: navigator.userAgent, browserVersion: version, cores: navigator.hardwareConcurrency };
}
