"""Instructions are Markdown. Render with python-markdown, then sanitize with nh3: raw HTML in
the source is escaped, and whatever the renderer produced is cut down to a safe tag set."""

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}


class _EscapeHtml(md.extensions.Extension):
    """Treat raw HTML in the Markdown source as text."""

    def extendMarkdown(self, m):  # noqa: N802 (python-markdown API)
        m.preprocessors.deregister("html_block")
        m.inlinePatterns.deregister("html")


def render_markdown(text: str) -> str:
    html = md.markdown(
        text or "",
        extensions=["fenced_code", "tables", "sane_lists", _EscapeHtml()],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
