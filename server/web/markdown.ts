import MarkdownIt from 'markdown-it';

// Light markdown for event bodies: paragraphs, line breaks, emphasis and links. Raw HTML
// is never rendered (html: false escapes it) and only http(s) and mailto links survive.
const md = new MarkdownIt('zero', { html: false, linkify: false, breaks: true }).enable([
  'paragraph',
  'newline',
  'emphasis',
  'link',
  'autolink',
  'escape',
  'entity',
]);

const SAFE_LINK = /^(https?:|mailto:)/i;
md.validateLink = (url: string) => SAFE_LINK.test(url.trim());

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx]!;
  if (/^https?:/i.test(String(token.attrGet('href') ?? ''))) token.attrSet('rel', 'noopener noreferrer nofollow ugc');
  return self.renderToken(tokens, idx, options);
};

/** Sanitized HTML for an event body. */
export function renderBody(body: string): string {
  return md.render(body);
}
