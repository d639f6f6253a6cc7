"""The chat page HTML each profile serves, modelled on the real 1.8.79 front page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Sequence, Tuple

from chatgpt4o.testing._php import php_json
from chatgpt4o.testing._profiles import Profile

SITE_TITLE = "AI Power harness"
WP_VERSION = "6.1.9"

Attr = Tuple[str, str, bool]  # name, value, rendered as `name = "value"` (template quirk)


@dataclass(frozen=True)
class PageTokens:
    """Everything variable on a page: URLs and the nonces printed into it.

    Attributes:
        url: the site root without trailing slash (also ``data-url``: the front page's URL).
        ajax_url: the advertised AJAX endpoint.
        post_id: the page's post ID.
        nonce: the chat nonce (``data-nonce`` and ``search_nonce``).
        img_nonce: the decoy ``wpaicg-img-nonce`` value.
        comment_nonce: a decoy nonce left in an HTML comment.
        form_nonce: another plugin's ``_wpnonce``.
        rest_nonce: the ``wp_rest`` nonce in ``wpApiSettings``.
        stream: whether ``data-openai_stream_nav`` says ``1``.
        minified: whether the chat element is minified (unquoted values, one line).
    """

    url: str
    ajax_url: str
    post_id: int
    nonce: str
    img_nonce: str
    comment_nonce: str
    form_nonce: str
    rest_nonce: str
    stream: bool
    minified: bool


def _attr_value(value: str, quote: str = '"') -> str:
    # Only what would break the quoting: the widget's "<123" must reach the page verbatim.
    value = value.replace("&", "&amp;")
    return value.replace("'", "&#039;") if quote == "'" else value.replace('"', "&quot;")


def _quote_min(value: str) -> str:
    if value and not any(ch in value for ch in " \t\n\"'=<>`"):
        return _attr_value(value)
    if "'" not in value and value:
        return f"'{_attr_value(value, chr(39))}'"
    return f'"{_attr_value(value)}"'


def render_element(tag: str, css_class: str, attrs: Sequence[Attr], *, minified: bool) -> str:
    """Render a chat element's opening tag as the plugin's template (or a minifier) prints it.

    Example:
        >>> render_element("div", "x", [("data-a", "1", False)], minified=True)
        '<div class=x data-a=1>'

    Args:
        tag: the element name.
        css_class: the ``class`` attribute.
        attrs: ``(name, value, spaced)`` triples in template order.
        minified: one line, single spaces, unquoted values where HTML allows.
    """
    if minified:
        parts = [f"<{tag} class={_quote_min(css_class)}"]
        parts += [f"{name}={_quote_min(value)}" for name, value, _ in attrs]
        return " ".join(parts) + ">"
    lines = [f'<{tag} class="{css_class}"']
    for name, value, spaced in attrs:
        joiner = " = " if spaced else "="
        lines.append(f'     {name}{joiner}"{_attr_value(value)}"')
    lines.append(">")
    return "\n".join(lines)


def _plugin_url(t: PageTokens) -> str:
    return f"{t.url}/wp-content/plugins/gpt3-ai-content-generator"


def _common_attrs(t: PageTokens, post_id: str, *, era: str) -> list[Attr]:
    images = f"{_plugin_url(t)}/admin/images"
    attrs: list[Attr] = [
        ("data-user-bg-color", "#ccf5e1", False),
        ("data-color", "#495057", False),
        ("data-fontsize", "14", False),
        ("data-use-avatar", "0", False),
        ("data-user-avatar", f"{images}/default_profile.png", False),
        ("data-you", "You", False),
        ("data-ai-avatar", f"{images}/chatbot.png", False),
        ("data-ai-name", "AI", False),
        ("data-ai-bg-color", "#d1e8ff", False),
        ("data-nonce", t.nonce, False),
        ("data-post-id", post_id, False),
        ("data-url", t.url, False),
        ("data-bot-id", "0", False),
        ("data-width", "100%", False),
        ("data-height", "50%", False),
        ("data-footer", "false", False),
        ("data-has-bar", "false", False),
        ("data-speech", "", False),
        ("data-voice", "", False),
    ]
    if era == "1.7":
        attrs += [
            ("data-voice-error", "", False),
            ("data-text_height", "60", False),
            ("data-text_rounded", "20", False),
            ("data-chat_rounded", "20", False),
            ("data-voice_service", "", False),
            ("data-voice_language", "en-US", False),
            ("data-voice_name", "en-US-Studio-M", False),
            ("data-voice_device", "", False),
            ("data-voice_speed", "1", False),
            ("data-voice_pitch", "0", False),
        ]
        return attrs
    spaced_19 = era == "1.9"
    attrs += [
        ("data-elevenlabs-model", "", False),
        ("data-voice-error", "", False),
        ("data-typewriter-effect", "", True),
        ("data-typewriter-speed", "1", spaced_19),
        ("data-text_height", "60", False),
        ("data-text_rounded", "8", False),
        ("data-chat_rounded", "8", False),
        ("data-voice_service", "", False),
        ("data-voice_language", "en-US", False),
        ("data-voice_name", "en-US-Studio-M", False),
        ("data-voice_device", "", False),
        ("data-voice_speed", "1", False),
        ("data-voice_pitch", "0", False),
        ("data-openai_model", "tts-1", False),
        ("data-openai_voice", "alloy", False),
        ("data-openai_output_format", "mp3", False),
        ("data-openai_voice_speed", "1.0", False),
        ("data-openai_stream_nav", "1" if t.stream else "0", False),
        ("data-autoload_chat_conversations", "0", False),
        ("data-copy_btn", "", False),
        ("data-feedback_btn", "", True),
        ("data-feedback_title", "Feedback", True),
        ("data-feedback_message", "Please provide details: (optional)", True),
        ("data-feedback_success", "Thank you for your feedback!", True),
        ("data-user-voice-control", "", True),
        ("data-voice-muted-by-default", "", spaced_19),
    ]
    if spaced_19:
        attrs += [
            ("data-memory-limit", "10", True),
            ("data-chat-sidebar", "0", True),
            ("data-lead-collection", "0", True),
            ("data-lead-title", "Let us know how to contact you", True),
            ("data-lead-name", "Name", True),
            ("data-lead-email", "Email", True),
            ("data-lead-phone", "Phone", True),
        ]
    return attrs


_SEND_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24" '
    'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'stroke-linejoin="round" class="feather feather-send"><line x1="22" y1="2" x2="11" y2="13">'
    '</line><polygon points="22 2 15 22 11 13 2 9 22 2"></polygon></svg>'
)


def _chat_body(t: PageTokens, kind: str, *, img_decoy: bool) -> str:
    """The element's inner markup: messages, thinking dots, textarea, decoy img nonce."""
    img = ""
    if img_decoy:
        img = f"""
        <span class="wpaicg-img-icon" data-type="{kind}" style="display:none">
            <input type="file" id="imageUpload" class="wpaicg-img-file" accept="image/png, image/jpeg, image/webp, image/gif" style="display: none;" />
            <!-- add nonce -->
            <input type="hidden" id="wpaicg-img-nonce" value="{t.img_nonce}" />
        </span>
        <span class="wpaicg-img-spinner"></span>"""  # noqa: E501
    prefix = "wpaicg-chat-shortcode" if kind == "shortcode" else "wpaicg-chatbox"
    return f"""
<div class="{prefix}-content">
    <ul class="{prefix}-messages">
                <li class="wpaicg-ai-message" style="color: #495057; font-size: 14px; background-color: #d1e8ff">
            <p>
                <strong style="float: left" class="wpaicg-chat-avatar">
                    AI:                </strong>
                <span class="wpaicg-chat-message">
                    Hello, how can I help you today?                </span>
            </p>
        </li>
    </ul>
</div>
<!-- Conversation Starters -->
<span class="wpaicg-bot-thinking" style="padding-left: 20px;color: #495057;">Gathering thoughts&nbsp;<span class="wpaicg-jumping-dots"><span class="wpaicg-dot-1">.</span><span class="wpaicg-dot-2">.</span><span class="wpaicg-dot-3">.</span></span></span>
<div class="{prefix}-type">
    <textarea type="text" class="auto-expand {prefix}-typing" placeholder="Type a message"></textarea>
    <div class="wpaicg_chat_additions">
        <span class="wpaicg-thumbnail-placeholder"></span>{img}
                        <span class="{prefix}-send" role="button" aria-label="Send" tabindex="0">
            {_SEND_SVG}
        </span>
            </div>
</div>
</div>
"""  # noqa: E501


_CHAT_CSS = """<style>
    .wpaicg-chat-shortcode {
        width: 100%;
        background-color: #f8f9fa;
        border-radius: 8px;
        box-shadow: 0 8px 16px rgba(0, 0, 0, 0.15);
        display: flex;
        flex-direction: column;
        max-width: 100%;
        overflow: hidden;
    }
    .wpaicg-chat-shortcode-content {
        overflow-y: auto;
        flex-grow: 1;
    }
    .wpaicg-chat-shortcode-content ul li .wpaicg-chat-message {
        color: inherit;
    }
    .wpaicg-jumping-dots span {
        position: relative;
        bottom: 0;
        animation: wpaicg-jump 2s infinite;
    }
</style>
"""

_THEME_CSS = """<style id='global-styles-inline-css'>
body{--wp--preset--color--black: #000000;--wp--preset--color--white: #FFFFFF;--wp--preset--color--pale-pink: #f78da7;--wp--preset--color--vivid-red: #cf2e2e;--wp--preset--color--dark-gray: #28303D;--wp--preset--color--gray: #39414D;--wp--preset--color--green: #D1E4DD;--wp--preset--color--blue: #D1DFE4;--wp--preset--font-size--small: 18px;--wp--preset--font-size--medium: 20px;--wp--preset--font-size--large: 24px;--wp--preset--spacing--20: 0.44rem;--wp--preset--spacing--30: 0.67rem;}:where(.is-layout-flex){gap: 0.5em;}body .is-layout-flow > .alignleft{float: left;margin-inline-start: 0;margin-inline-end: 2em;}body .is-layout-constrained > .aligncenter{margin-left: auto !important;margin-right: auto !important;}.has-black-color{color: var(--wp--preset--color--black) !important;}.has-white-color{color: var(--wp--preset--color--white) !important;}.has-small-font-size{font-size: var(--wp--preset--font-size--small) !important;}
.wp-block-navigation a:where(:not(.wp-element-button)){color: inherit;}
:where(.wp-block-columns.is-layout-flex){gap: 2em;}
.wp-block-pullquote{font-size: 1.5em;line-height: 1.6;}
</style>
"""  # noqa: E501


def _head(t: PageTokens, profile: Profile, extra: str) -> str:
    plugin_ver = profile.version
    return f"""<!doctype html>
<html lang="en-US" >
<head>
	<meta charset="UTF-8" />
	<meta name="viewport" content="width=device-width, initial-scale=1" />
	<title>{SITE_TITLE}</title>
<meta name='robots' content='max-image-preview:large' />

                                            <!-- Chat Bot CSS -->
                    <style>
                        .wpaicg_chat_widget{{
                            position: fixed;
                        }}
                        .wpaicg_widget_right{{
                            bottom: 15px;
                            right: 15px;
                        }}
                    </style>
                                
            <link rel="alternate" type="application/rss+xml" title="{SITE_TITLE} &raquo; Feed" href="{t.url}/feed/" />
<link rel="alternate" type="application/rss+xml" title="{SITE_TITLE} &raquo; Comments Feed" href="{t.url}/comments/feed/" />
<link rel='stylesheet' id='wp-block-library-css' href='{t.url}/wp-includes/css/dist/block-library/style.min.css?ver={WP_VERSION}' media='all' />
{_THEME_CSS}<link rel='stylesheet' id='wp-ai-content-generator-css' href='{_plugin_url(t)}/public/css/wp-ai-content-generator-public.css?ver={plugin_ver}' media='all' />
<link rel='stylesheet' id='twenty-twenty-one-style-css' href='{t.url}/wp-content/themes/twentytwentyone/style.css?ver=1.7' media='all' />
<script src='{t.url}/wp-includes/js/jquery/jquery.min.js?ver=3.6.1' id='jquery-core-js'></script>
<script src='{t.url}/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.3.2' id='jquery-migrate-js'></script>
<script src='{_plugin_url(t)}/public/js/wp-ai-content-generator-public.js?ver={plugin_ver}' id='wp-ai-content-generator-js'></script>
{extra}<link rel="https://api.w.org/" href="{t.url}/wp-json/" /><link rel="alternate" type="application/json" href="{t.url}/wp-json/wp/v2/pages/{t.post_id}" /><link rel="EditURI" type="application/rsd+xml" title="RSD" href="{t.url}/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress {WP_VERSION}" />
<link rel="canonical" href="{t.url}/" />
<link rel='shortlink' href='{t.url}/' />
</head>

<body class="home page-template-default page page-id-{t.post_id} wp-embed-responsive is-light-theme no-js singular">
<div id="page" class="site">
	<a class="skip-link screen-reader-text" href="#content">Skip to content</a>

<header id="masthead" class="site-header has-title-and-tagline">

<div class="site-branding">

						<h1 class="site-title">{SITE_TITLE}</h1>
			
	</div><!-- .site-branding -->

</header><!-- #masthead -->

	<div id="content" class="site-content">
		<div id="primary" class="content-area">
			<main id="main" class="site-main">

<article id="post-{t.post_id}" class="post-{t.post_id} page type-page status-publish hentry entry">

	
	<div class="entry-content">
"""  # noqa: E501, W293


def _decoys(t: PageTokens) -> str:
    """A commented-out old chat element and another plugin's form, both with 10-hex nonces."""
    return f"""<!-- <div class="wpaicg-chat-shortcode" data-nonce="{t.comment_nonce}"></div> -->
<p>Ask the assistant anything below.</p>
<form class="newsletter-form" method="post" action="{t.url}/">
	<input type="hidden" id="_wpnonce" name="_wpnonce" value="{t.form_nonce}" /><input type="hidden" name="_wp_http_referer" value="/" />
	<input type="email" name="newsletter_email" placeholder="Email" />
	<button type="submit">Subscribe</button>
</form>
"""  # noqa: E501


def _tail(t: PageTokens, *, params: bool, rest: bool, widget: str = "") -> str:
    scripts = ""
    if params:
        wpaicg_params = php_json(
            {
                "ajax_url": t.ajax_url,
                "search_nonce": t.nonce,
                "logged_in": "0",
                "languages": {
                    "source": "Sources",
                    "no_result": "No result found",
                    "wrong": "Something went wrong",
                    "removed_pdf": "Your pdf session is cleared",
                },
            }
        )
        scripts += (
            f"<script src='{_plugin_url(t)}/public/js/wpaicg-form-shortcode.js' "
            "id='wpaicg-gpt-form-js'></script>\n"
            f"<script id='wpaicg-init-js-extra'>\nvar wpaicgParams = {wpaicg_params};\n</script>\n"
            f"<script src='{_plugin_url(t)}/public/js/wpaicg-init.js' "
            "id='wpaicg-init-js'></script>\n"
        )
    if rest:
        api = php_json(
            {"root": f"{t.url}/wp-json/", "nonce": t.rest_nonce, "versionString": "wp/v2/"}
        )
        scripts += f"<script id='wp-api-request-js-extra'>\nvar wpApiSettings = {api};\n</script>\n"
    scripts += (
        f"<script src='{_plugin_url(t)}/public/js/wpaicg-chat.js' id='wpaicg-chat-script-js'>"
        "</script>\n"
    )
    return f"""	</div><!-- .entry-content -->

	</article><!-- #post-{t.post_id} -->
			</main><!-- #main -->
		</div><!-- #primary -->
	</div><!-- #content -->

	<aside class="widget-area">
		<section id="block-2" class="widget widget_block widget_search"><form role="search" method="get" action="{t.url}/" class="wp-block-search"><label for="wp-block-search__input-1" class="wp-block-search__label" >Search</label><div class="wp-block-search__inside-wrapper " ><input type="search" id="wp-block-search__input-1" class="wp-block-search__input" name="s" value="" placeholder=""  required /><button type="submit" class="wp-block-search__button wp-element-button"  >Search</button></div></form></section><section id="block-3" class="widget widget_block"><div class="is-layout-flow wp-block-group"><div class="wp-block-group__inner-container"><h2>Recent Posts</h2><ul class="wp-block-latest-posts__list wp-block-latest-posts"><li><a class="wp-block-latest-posts__post-title" href="{t.url}/hello-world/">Hello world!</a></li>
</ul></div></div></section>	</aside><!-- .widget-area -->

	<footer id="colophon" class="site-footer">

				<div class="site-info">
			<div class="site-name">
																						{SITE_TITLE}																		</div><!-- .site-name -->

			<div class="powered-by">
				Proudly powered by <a href="https://wordpress.org/">WordPress</a>.			</div><!-- .powered-by -->

		</div><!-- .site-info -->
	</footer><!-- #colophon -->

</div><!-- #page -->
{widget}
            <script>document.body.classList.remove("no-js");</script>
{scripts}
</body>
</html>
"""  # noqa: E501


def _shortcode(t: PageTokens, profile: Profile) -> str:
    attrs = _common_attrs(t, str(t.post_id), era=profile.era)
    attrs.append(("data-type", "shortcode", False))
    opening = render_element("div", "wpaicg-chat-shortcode", attrs, minified=t.minified)
    return _CHAT_CSS + opening + _chat_body(t, "shortcode", img_decoy=profile.era != "1.7")


def _widget(t: PageTokens, profile: Profile) -> str:
    # 1.9.16-2.2 template bug: a stray "<" before get_the_ID() in the widget markup.
    attrs = _common_attrs(t, f"<{t.post_id}", era=profile.era)
    attrs.append(("data-type", "widget", False))
    opening = render_element(
        "div", "wpaicg-chatbox wpaicg-chat-widget-no-footer", attrs, minified=t.minified
    )
    return (
        '<div class="wpaicg_chat_widget wpaicg_widget_right">\n'
        '    <div class="wpaicg_chat_widget_content">\n'
        + opening
        + _chat_body(t, "widget", img_decoy=True)
        + "    </div>\n"
        '    <div class="wpaicg_toggle" id="wpaicg_toggle"><img src="'
        + f'{_plugin_url(t)}/admin/images/chatbot.png" /></div>\n'
        "</div>\n"
    )


def _aipkit(t: PageTokens) -> str:
    config = php_json(
        {
            "botId": 17,
            "nonce": t.nonce,
            "ajaxUrl": t.ajax_url,
            "restUrl": f"{t.url}/wp-json/aipkit/v1/",
            "postId": t.post_id,
            "streamEnabled": t.stream,
            "headerName": "AI Assistant",
            "greeting": "Hello! How can I assist you today?",
        }
    )
    return (
        '<div class="aipkit_chat_container aipkit_chat_mode_inline" '
        f'id="aipkit_chat_container_17" data-bot-id="17" data-config="{escape(config)}">\n'
        '    <div class="aipkit_chat_main">\n'
        '        <div class="aipkit_chat_messages" aria-live="polite"></div>\n'
        '        <div class="aipkit_chat_input"><textarea class="aipkit_chat_input_field" '
        'placeholder="Type your message..."></textarea>'
        '<button class="aipkit_input_action_btn aipkit_send_btn" type="button">Send</button>'
        "</div>\n"
        "    </div>\n"
        "</div>\n"
    )


def render_page(profile: Profile, tokens: PageTokens) -> str:
    """Render the chat page a site of this profile serves.

    Example:
        >>> html = render_page(PROFILES["1.8.79"], tokens)  # doctest: +SKIP

    Args:
        profile: the plugin era.
        tokens: URLs and nonces to print.
    """
    t = tokens
    if profile.era == "aipkit":
        return _head(t, profile, "") + _aipkit(t) + _tail(t, params=False, rest=True)
    if profile.era == "1.7":
        head_script = f"<script>\n    var wpaicg_ajax_url = '{t.ajax_url}';\n</script>\n"
        body = _decoys(t) + _shortcode(t, profile)
        return _head(t, profile, head_script) + body + _tail(t, params=False, rest=False)
    rest = profile.era == "1.9"
    if profile.widget_only:
        return (
            _head(t, profile, "")
            + _decoys(t)
            + _tail(t, params=True, rest=rest, widget=_widget(t, profile))
        )
    body = _decoys(t) + _shortcode(t, profile)
    return _head(t, profile, "") + body + _tail(t, params=True, rest=rest)
