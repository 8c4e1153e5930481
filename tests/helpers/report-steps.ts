/** The commands of a report's "How to check this yourself" section, one line each, as typed. */
export function howToCheckSteps(html: string): string[] {
  const pre = /<pre>([\s\S]*?)<\/pre>/.exec(html.slice(html.indexOf('6. How to check this yourself')))?.[1] ?? ''
  return pre.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&').split('\n')
}
