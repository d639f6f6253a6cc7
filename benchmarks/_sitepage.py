"""A realistic ~300 KB AI Power front page: the recorded 1.8.79 page plus WordPress filler.

The recorded page (tests/aipower-1.8.79-front-page.html, 66 KB) is a bare test install. A live
site carries much more around the same markup: inline block and theme CSS, an SEO JSON-LD graph,
analytics and emoji scripts in <head>; a navigation menu; the page's own text around the chat;
a comment thread with its form (more nonces, escaped markup in code blocks); related posts;
sidebar widgets; and inline script bundles before </body>. The filler is generated with a fixed
seed, so every run parses the same bytes. The chat element ends up a little before the middle
of the page, after the whole <head> and the page's introduction, as on a real site.

``realistic_page(generation="aipkit")`` is the same page with the chat of the recorded AI Puffer
2.4.71 page (tests/fixtures/aipkit/2.4.71/front-page.html: an inline bot whose 7 KB
data-config carries the tokens) in place of the 1.8.79 page's content.
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

__all__ = ["AIPKIT_FIXTURE", "AIPKIT_NONCE", "FIXTURE", "NONCE", "TARGET_SIZE", "realistic_page"]

_TESTS = Path(__file__).resolve().parent.parent / "tests"
FIXTURE = _TESTS / "aipower-1.8.79-front-page.html"
NONCE = "14004b0807"  # the chat element's data-nonce in the recorded page
AIPKIT_FIXTURE = _TESTS / "fixtures" / "aipkit" / "2.4.71" / "front-page.html"
AIPKIT_NONCE = "defb835c4d"  # the nonce in the recorded 2.4.71 page's data-config
TARGET_SIZE = 300_000

_WORDS = (  # noqa: SIM905 (prose reads better than a list of 90 strings)
    "the model answers questions about writing code travel recipes history and science in plain "
    "language you can ask it to summarise a long article translate a paragraph draft an email or "
    "explain a concept step by step our assistant runs on a WordPress site with the AI Power "
    "plugin and replies in a few seconds it remembers the conversation while the page is open "
    "privacy matters we do not store your messages after the session ends tips for better "
    "prompts give context name the format you want and ask follow up questions"
).split()


def _text(rng: random.Random, words: int) -> str:
    picked = [rng.choice(_WORDS) for _ in range(words)]
    picked[0] = picked[0].capitalize()
    return " ".join(picked) + "."


def _paragraphs(rng: random.Random, count: int) -> str:
    return "\n".join(
        f"<p>{_text(rng, rng.randint(40, 90))} {_text(rng, rng.randint(10, 30))}</p>"
        for _ in range(count)
    )


def _ident(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 3)))


def _css(rng: random.Random, rules: int, prefix: str) -> str:
    props = (
        "margin:0 0 1em",
        "padding:.5em 1em",
        "color:#1e1e1e",
        "font-size:clamp(1rem,2vw,1.25rem)",
        "line-height:1.6",
        "display:flex",
        "gap:var(--wp--style--block-gap)",
        "border-radius:4px",
        "background:var(--wp--preset--color--white)",
        "box-shadow:0 1px 2px rgba(0,0,0,.1)",
    )
    out = []
    for index in range(rules):
        body = ";".join(rng.sample(props, rng.randint(2, 5)))
        out.append(f".{prefix}-{_ident(rng)}-{index}{{{body}}}")
        if index % 7 == 0:
            width = rng.randint(480, 1280)
            out.append(f"@media (max-width:{width}px){{.{prefix}-{index}{{{body}}}}}")
    return "".join(out)


def _minified_js(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        a, b, c = _ident(rng), _ident(rng), _ident(rng)
        chunk = rng.choice(
            (
                f"function {a}({b},{c}){{return {b}&&{b}.length>{c}?{b}.slice(0,{c}):{b}}}",
                f"var {a}=document.querySelectorAll('.entry-content a[href^=\"http\"]');",
                f"{a}.forEach(function({b}){{{b}.addEventListener('click',{c},!1)}});",
                f"if({a}<{b}&&{b}>{c}){{{a}={b}<<1}}else{{{c}=({a}||0)+1}}",
                f"window.{a}=window.{a}||[];{a}.push({{event:'{b}',ts:Date.now()}});",
                f"/*! {b} v{rng.randint(1, 9)}.{rng.randint(0, 20)} */",
            )
        )
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)


def _head(rng: random.Random) -> str:
    schema = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "WebPage",
                "@id": f"https://example.org/#webpage-{i}",
                "name": _text(rng, 8),
                "description": _text(rng, 30),
                "breadcrumb": {"@id": "https://example.org/#breadcrumb"},
                "inLanguage": "en-US",
            }
            for i in range(12)
        ],
    }
    metas = "\n".join(
        f'<meta property="og:{name}" content="{_text(rng, 12)}" />'
        for name in ("title", "description", "site_name", "type", "locale", "image:alt")
    )
    preloads = "\n".join(
        f"<link rel='preload' href='/wp-content/themes/theme/fonts/font-{i}.woff2' as='font' "
        "type='font/woff2' crossorigin />"
        for i in range(8)
    )
    return "\n".join(
        (
            metas,
            preloads,
            "<style id='wp-block-library-inline-css'>" + _css(rng, 260, "wp-block") + "</style>",
            "<style id='theme-customizer-css'>" + _css(rng, 140, "theme") + "</style>",
            '<script type="application/ld+json" class="yoast-schema-graph">'
            + json.dumps(schema)
            + "</script>",
            "<!-- Google tag (gtag.js) -->",
            "<script async src='https://www.googletagmanager.com/gtag/js?id=G-XXXX'></script>",
            "<script id='analytics-js-before'>window.dataLayer=window.dataLayer||[];"
            + _minified_js(rng, 6_000)
            + "</script>",
            "",
        )
    )


def _nav(rng: random.Random) -> str:
    items = []
    for i in range(14):
        sub = "".join(
            f'<li id="menu-item-{i * 10 + j}" class="menu-item menu-item-type-post_type">'
            f'<a href="https://example.org/{_ident(rng)}-{i}-{j}/">{_text(rng, 3)}</a></li>'
            for j in range(6)
        )
        items.append(
            f'<li id="menu-item-{i}" class="menu-item menu-item-has-children">'
            f'<a href="https://example.org/section-{i}/">{_text(rng, 2)}</a>'
            f'<ul class="sub-menu">{sub}</ul></li>'
        )
    return (
        '\n<nav id="site-navigation" class="primary-navigation" aria-label="Primary menu">'
        '<div class="primary-menu-container"><ul id="primary-menu-list" class="menu-wrapper">'
        + "".join(items)
        + "</ul></div></nav><!-- #site-navigation -->\n"
    )


def _intro(rng: random.Random) -> str:
    rows = "".join(
        f"<tr><td>{_text(rng, 3)}</td><td>{_text(rng, 8)}</td><td>{rng.randint(1, 99)}</td></tr>"
        for _ in range(20)
    )
    srcset = ", ".join(
        f"https://example.org/wp-content/uploads/2024/05/chat-{w}x{w // 2}.png {w}w"
        for w in (300, 768, 1024, 1536, 2048)
    )
    return "\n".join(
        (
            "",
            f'<h2 class="wp-block-heading">{_text(rng, 6)}</h2>',
            _paragraphs(rng, 8),
            '<figure class="wp-block-image size-large"><img decoding="async" width="1024" '
            f'height="512" src="https://example.org/chat.png" alt="" srcset="{srcset}" '
            'sizes="(max-width: 1024px) 100vw, 1024px" /></figure>',
            f'<figure class="wp-block-table"><table><tbody>{rows}</tbody></table></figure>',
            _paragraphs(rng, 6),
            "<!-- AI Power chat below -->",
            "",
        )
    )


def _comment(rng: random.Random, index: int, depth: int) -> str:
    avatar = (
        f"https://secure.gravatar.com/avatar/{rng.getrandbits(128):032x}?s=60&#038;d=mm&#038;r=g"
    )
    body = _paragraphs(rng, rng.randint(1, 3))
    if index % 9 == 4:
        # Readers paste the markup they saw; escaped, so it is text, not an element.
        body += (
            '<pre class="wp-block-code"><code>&lt;div class=&quot;wpaicg-chat-shortcode&quot; '
            "data-nonce=&quot;0123456789&quot; data-post-id=&quot;4&quot;&gt;</code></pre>"
        )
    return (
        f'<li id="comment-{index}" class="comment depth-{depth} parent">'
        f'<article id="div-comment-{index}" class="comment-body"><footer class="comment-meta">'
        f'<div class="comment-author vcard"><img alt="" src="{avatar}" srcset="{avatar} 2x" '
        f'class="avatar avatar-60 photo" height="60" width="60" loading="lazy" decoding="async"/>'
        f'<b class="fn">{_text(rng, 2)}</b> <span class="says">says:</span></div>'
        f'<div class="comment-metadata"><a href="https://example.org/#comment-{index}">'
        f'<time datetime="2024-05-{index % 28 + 1:02d}T10:{index % 60:02d}:00+00:00">'
        f"May {index % 28 + 1}, 2024 at 10:{index % 60:02d} am</time></a></div></footer>"
        f'<div class="comment-content">{body}</div>'
        f'<div class="reply"><a rel="nofollow" class="comment-reply-link" '
        f'href="#comment-{index}" data-commentid="{index}" data-postid="4" '
        f'data-belowelement="div-comment-{index}" data-respondelement="respond" '
        f'aria-label="Reply to comment">Reply</a></div></article></li>'
    )


def _comments(rng: random.Random, count: int) -> str:
    items = []
    for index in range(1, count + 1):
        items.append(_comment(rng, index, 1 if index % 3 else 2))
    form_nonce = f"{rng.getrandbits(40):010x}"
    return (
        '\n<div id="comments" class="comments-area default-max-width show-avatars">'
        f'<h2 class="comments-title">{count} comments on &ldquo;Home&rdquo;</h2>'
        '<ol class="comment-list">' + "".join(items) + "</ol>"
        '<div id="respond" class="comment-respond">'
        '<h2 id="reply-title" class="comment-reply-title">Leave a comment</h2>'
        '<form action="https://example.org/wp-comments-post.php" '
        'method="post" id="commentform" class="comment-form" novalidate>'
        '<p class="comment-form-comment"><label for="comment">Comment</label>'
        '<textarea id="comment" name="comment" cols="45" rows="5" maxlength="65525" required>'
        "</textarea></p>"
        '<input type="hidden" name="comment_post_ID" value="4" id="comment_post_ID" />'
        f'<input type="hidden" id="akismet_comment_nonce" name="akismet_comment_nonce" '
        f'value="{form_nonce}" />'
        '<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
        'value="Post Comment" /></p></form></div></div><!-- #comments -->\n'
    )


def _related(rng: random.Random, count: int) -> str:
    cards = "".join(
        f'<article class="post-{100 + i} post type-post status-publish format-standard '
        f'has-post-thumbnail hentry category-news"><a href="https://example.org/post-{i}/">'
        f'<img width="300" height="169" src="https://example.org/thumb-{i}.jpg" alt="" '
        f'loading="lazy" /></a><h3 class="entry-title">{_text(rng, 7)}</h3>'
        f'<div class="entry-summary"><p>{_text(rng, 35)}</p></div></article>'
        for i in range(count)
    )
    return f'<section class="related-posts"><h2>Related posts</h2>{cards}</section>\n'


def _footer_scripts(rng: random.Random) -> str:
    settings = json.dumps(
        {"api": {"root": "https://example.org/wp-json/", "namespace": "contact-form-7/v1"}}
    )
    return "\n".join(
        (
            f"<script id='contact-form-7-js-extra'>var wpcf7 = {settings};</script>",
            "<script id='theme-bundle-js'>" + _minified_js(rng, 30_000) + "</script>",
            '<script type="text/template" id="tmpl-cookie-notice"><div class="cookie-notice">'
            f'<p>{_text(rng, 25)}</p><button class="accept">OK</button></div></script>',
            "<script id='lazy-load-js'>" + _minified_js(rng, 8_000) + "</script>",
            "",
        )
    )


def _insert_after(html: str, marker: str, text: str) -> str:
    at = html.index(marker) + len(marker)
    return html[:at] + text + html[at:]


def _insert_before(html: str, marker: str, text: str) -> str:
    at = html.index(marker)
    return html[:at] + text + html[at:]


def _entry_content(html: str) -> str:
    start = html.index('<div class="entry-content">')
    return html[start : html.index("</div><!-- .entry-content -->", start)]


@cache
def realistic_page(target_size: int = TARGET_SIZE, generation: str = "wpaicg") -> str:
    """The recorded page grown with filler to about ``target_size`` characters.

    Args:
        target_size: the size to grow it to.
        generation: ``"wpaicg"`` (the 1.8.79 chat) or ``"aipkit"`` (the 2.4.71 bot).
    """
    html = FIXTURE.read_text(encoding="utf-8")
    if generation == "aipkit":
        aipkit = _entry_content(AIPKIT_FIXTURE.read_text(encoding="utf-8"))
        html = html.replace(_entry_content(html), aipkit)
    rng = random.Random(20240513)
    html = _insert_before(html, "</head>", _head(rng))
    html = _insert_after(html, "</header><!-- #masthead -->", _nav(rng))
    html = _insert_after(html, '<div class="entry-content">', _intro(rng))
    html = _insert_after(html, "</article><!-- #post-4 -->", "\n@@AFTER_ARTICLE@@\n")
    html = _insert_before(html, "</body>", _footer_scripts(rng))
    related = _related(rng, 12)
    # Comments fill the page up to the target size, as on a busy post.
    comments = 0
    while True:
        comments += 1
        filled = html.replace("@@AFTER_ARTICLE@@", _comments(random.Random(7), comments) + related)
        if len(filled.encode()) >= target_size:
            return filled


if __name__ == "__main__":
    for name, marker in (("wpaicg", 'class="wpaicg-chat-shortcode"'), ("aipkit", "data-config")):
        page = realistic_page(generation=name)
        at = page.find(marker)
        print(
            f"{name}: {len(page.encode())} bytes; chat element at {at} "
            f"({at / len(page):.0%} of the page)"
        )
