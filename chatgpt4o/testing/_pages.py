"""The chat page each profile serves: one WordPress page, with the plugin generation's chat.

The frame (head, header, footer) follows the observed 1.8.79 front page; inside it go the
old plugin's chat element (shortcode or widget, with decoy nonces around it) or the AIPKit
bots (``data-config`` containers, popups in the footer), as recorded on 2.4.71.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence, Tuple

from chatgpt4o.testing._php import esc_attr, esc_html, php_json, php_json_encode
from chatgpt4o.testing._profiles import Profile

SITE_TITLE = "AI Power harness"
WP_VERSION = "6.1.9"

Attr = Tuple[str, str, bool]  # name, value, rendered as `name = "value"` (template quirk)


@dataclass(frozen=True)
class PageFields:
    """Everything variable on a page: URLs, the nonces printed into it and the chat's switches."""

    url: str
    ajax_url: str
    post_id: int
    nonce: str
    stream: bool
    img_nonce: str = ""
    comment_nonce: str = ""
    form_nonce: str = ""
    rest_nonce: str = ""
    minified: bool = False
    bots: tuple[tuple[int, bool], ...] = ()
    refresh_action: bool = False
    image_upload: frozenset[int] = frozenset()


def render_page(profile: Profile, tokens: PageFields) -> str:
    """Render the chat page a site of this profile serves."""
    t = tokens
    if profile.era == "aipkit":
        content: list[str] = ["<p>Ask the assistant anything.</p>\n"]
        popups: list[str] = []
        for bot_id, popup in t.bots:
            config = bot_config(profile, t, bot_id, popup=popup)
            (popups if popup else content).append(
                _popup(config, bot_id) if popup else _inline(config, bot_id)
            )
        assets = (
            f"<link rel='stylesheet' id='aipkit-public-main-css-css' href='{_plugin_url(t)}"
            "/dist/css/public-main.bundle.css?ver=1787344627' media='all' />\n"
        )
        return _frame(t, assets, "".join(content), "".join(popups), _aipkit_scripts(profile, t))
    assets = _WPAICG_ASSETS.format(url=t.url, plugin=_plugin_url(t), ver=profile.version)
    if profile.era == "1.7":
        assets += f"<script>\n    var wpaicg_ajax_url = '{t.ajax_url}';\n</script>\n"
        scripts = _wpaicg_scripts(t, params=False, rest=False)
        return _frame(t, assets, _decoys(t) + _shortcode(t, profile), "", scripts)
    scripts = _wpaicg_scripts(t, params=True, rest=profile.era == "1.9")
    if profile.widget_only:
        return _frame(t, assets, _decoys(t), _widget(t, profile), scripts)
    return _frame(t, assets, _decoys(t) + _shortcode(t, profile), "", scripts)


def _plugin_url(t: PageFields) -> str:
    return f"{t.url}/wp-content/plugins/gpt3-ai-content-generator"


def _frame(t: PageFields, assets: str, content: str, footer: str, scripts: str) -> str:
    """The WordPress page around the chat: the plugin's ``assets`` in the head, its chat in
    the post's ``content`` or in the ``footer`` (``wp_footer``), its ``scripts`` last.
    """
    return f"""<!doctype html>
<html lang="en-US" >
<head>
	<meta charset="UTF-8" />
	<meta name="viewport" content="width=device-width, initial-scale=1" />
	<title>{SITE_TITLE}</title>
<meta name='robots' content='max-image-preview:large' />
<link rel="alternate" type="application/rss+xml" title="{SITE_TITLE} &raquo; Feed" href="{t.url}/feed/" />
<link rel="alternate" type="application/rss+xml" title="{SITE_TITLE} &raquo; Comments Feed" href="{t.url}/comments/feed/" />
<link rel='stylesheet' id='wp-block-library-css' href='{t.url}/wp-includes/css/dist/block-library/style.min.css?ver={WP_VERSION}' media='all' />
{_THEME_CSS}<link rel='stylesheet' id='twenty-twenty-one-style-css' href='{t.url}/wp-content/themes/twentytwentyone/style.css?ver=1.7' media='all' />
{assets}<link rel="https://api.w.org/" href="{t.url}/wp-json/" /><link rel="alternate" type="application/json" href="{t.url}/wp-json/wp/v2/pages/{t.post_id}" /><link rel="EditURI" type="application/rsd+xml" title="RSD" href="{t.url}/xmlrpc.php?rsd" />
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
{content}	</div><!-- .entry-content -->

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
{footer}
<script>document.body.classList.remove("no-js");</script>
{scripts}
</body>
</html>
"""  # noqa: E501, W293


# -- the old plugin (wpaicg) -------------------------------------------------------------

_WPAICG_ASSETS = """
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
<link rel='stylesheet' id='wp-ai-content-generator-css' href='{plugin}/public/css/wp-ai-content-generator-public.css?ver={ver}' media='all' />
<script src='{url}/wp-includes/js/jquery/jquery.min.js?ver=3.6.1' id='jquery-core-js'></script>
<script src='{url}/wp-includes/js/jquery/jquery-migrate.min.js?ver=3.3.2' id='jquery-migrate-js'></script>
<script src='{plugin}/public/js/wp-ai-content-generator-public.js?ver={ver}' id='wp-ai-content-generator-js'></script>
"""  # noqa: E501


def _wpaicg_scripts(t: PageFields, *, params: bool, rest: bool) -> str:
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
    return scripts


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
    """Render a chat element's opening tag as the plugin's template (or a minifier) prints it."""
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


# The chat element's data attributes in template order: name, value, the eras that print it
# (7: 1.7, 8: 1.8, 9: 1.9+) and those whose template prints it spaced (`name = "value"`).
_ATTRS = """\
data-user-bg-color|#ccf5e1|789|
data-color|#495057|789|
data-fontsize|14|789|
data-use-avatar|0|789|
data-user-avatar|{images}/default_profile.png|789|
data-you|You|789|
data-ai-avatar|{images}/chatbot.png|789|
data-ai-name|AI|789|
data-ai-bg-color|#d1e8ff|789|
data-nonce|{nonce}|789|
data-post-id|{post_id}|789|
data-url|{url}|789|
data-bot-id|0|789|
data-width|100%|789|
data-height|50%|789|
data-footer|false|789|
data-has-bar|false|789|
data-speech||789|
data-voice||789|
data-elevenlabs-model||89|
data-voice-error||789|
data-typewriter-effect||89|89
data-typewriter-speed|1|89|9
data-text_height|60|789|
data-text_rounded|20|7|
data-text_rounded|8|89|
data-chat_rounded|20|7|
data-chat_rounded|8|89|
data-voice_service||789|
data-voice_language|en-US|789|
data-voice_name|en-US-Studio-M|789|
data-voice_device||789|
data-voice_speed|1|789|
data-voice_pitch|0|789|
data-openai_model|tts-1|89|
data-openai_voice|alloy|89|
data-openai_output_format|mp3|89|
data-openai_voice_speed|1.0|89|
data-openai_stream_nav|{stream}|89|
data-autoload_chat_conversations|0|89|
data-copy_btn||89|
data-feedback_btn||89|89
data-feedback_title|Feedback|89|89
data-feedback_message|Please provide details: (optional)|89|89
data-feedback_success|Thank you for your feedback!|89|89
data-user-voice-control||89|89
data-voice-muted-by-default||89|9
data-memory-limit|10|9|9
data-chat-sidebar|0|9|9
data-lead-collection|0|9|9
data-lead-title|Let us know how to contact you|9|9
data-lead-name|Name|9|9
data-lead-email|Email|9|9
data-lead-phone|Phone|9|9"""


def _common_attrs(t: PageFields, post_id: str, *, era: str) -> list[Attr]:
    values = {
        "images": f"{_plugin_url(t)}/admin/images",
        "nonce": t.nonce,
        "post_id": post_id,
        "url": t.url,
        "stream": "1" if t.stream else "0",
    }
    attrs: list[Attr] = []
    for line in _ATTRS.splitlines():
        name, value, eras, spaced = line.split("|")
        if era[-1] in eras:
            attrs.append((name, value.format(**values), era[-1] in spaced))
    return attrs


_SEND_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24" '
    'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'stroke-linejoin="round" class="feather feather-send"><line x1="22" y1="2" x2="11" y2="13">'
    '</line><polygon points="22 2 15 22 11 13 2 9 22 2"></polygon></svg>'
)


def _chat_body(t: PageFields, kind: str, *, img_decoy: bool) -> str:
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


def _decoys(t: PageFields) -> str:
    """A commented-out old chat element and another plugin's form, both with 10-hex nonces."""
    return f"""<!-- <div class="wpaicg-chat-shortcode" data-nonce="{t.comment_nonce}"></div> -->
<p>Ask the assistant anything below.</p>
<form class="newsletter-form" method="post" action="{t.url}/">
	<input type="hidden" id="_wpnonce" name="_wpnonce" value="{t.form_nonce}" /><input type="hidden" name="_wp_http_referer" value="/" />
	<input type="email" name="newsletter_email" placeholder="Email" />
	<button type="submit">Subscribe</button>
</form>
"""  # noqa: E501


def _shortcode(t: PageFields, profile: Profile) -> str:
    attrs = _common_attrs(t, str(t.post_id), era=profile.era)
    attrs.append(("data-type", "shortcode", False))
    opening = render_element("div", "wpaicg-chat-shortcode", attrs, minified=t.minified)
    return _CHAT_CSS + opening + _chat_body(t, "shortcode", img_decoy=profile.era != "1.7")


def _widget(t: PageFields, profile: Profile) -> str:
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


# -- AIPKit (AI Puffer 2.3+) ------------------------------------------------------------

# The recorded bot's settings, as its data-config carried them (UI only).
_UI = {
    "theme": "custom",
    "popupEnabled": False,
    "popupPosition": "bottom-right",
    "popupDelay": 0,
    "popupIconType": "default",
    "popupIconStyle": "circle",
    "popupIconValue": "chat-bubble",
    "popupIconSize": "medium",
    "customThemePresetKey": "ocean",
    "popupLabelEnabled": True,
    "popupLabelText": "Need help? Ask me!",
    "popupLabelMode": "on_delay",
    "popupLabelDelaySeconds": 1,
    "popupLabelAutoHideSeconds": 0,
    "popupLabelDismissible": True,
    "popupLabelFrequency": "once_per_visitor",
    "popupLabelShowOnMobile": True,
    "popupLabelShowOnDesktop": True,
    "popupLabelVersion": "",
    "popupLabelSize": "large",
    "footerText": "",
    "headerAvatarType": "inherit",
    "headerAvatarValue": "chat-bubble",
    "headerAvatarUrl": "",
    "headerOnlineText": "Online",
    "enableFullscreen": True,
    "enableDownload": False,
    "enableCopyButton": True,
    "enableFeedback": True,
    "enableSidebar": False,
    "pdfDownloadActive": False,
    "headerName": "Support Bot",
    "enableStarters": True,
    "starters": ["What can you do?", "Tell me a fun fact"],
    "requireConsentCompliance": False,
    "ttsEnabled": False,
    "ttsAutoPlay": False,
    "ttsProvider": "Google",
    "ttsVoiceId": "Kore",
    "ttsGoogleModelId": "gemini-3.1-flash-tts-preview",
    "ttsOpenAIModelId": "tts-1",
    "ttsElevenLabsModelId": "eleven_multilingual_v2",
    "enableVoiceInputUI": False,
    "enableRealtimeVoiceUI": False,
    "directVoiceMode": False,
    "realtimeModel": "gpt-realtime-2.1",
    "sttProvider": "OpenAI",
    "imageTriggers": "/image, /generate",
    "fileUploadEnabledUI": False,
    "imageUploadEnabledUI": False,
    "inputActionButtonEnabled": False,
    "provider": "OpenAI",
    "fileUploadProvider": "openai",
    "vectorStoreProvider": "openai",
    "enableOpenAIConversationState": False,
    "enableGoogleConversationState": False,
    "allowWebSearchTool": False,
    "webToggleDefaultOn": False,
    "showSources": True,
    "allowGoogleSearchGrounding": False,
    "customThemeSettings": {
        "primary_color": "#0B5FFF",
        "secondary_color": "#F1F5FF",
        "accent_color": "#111111",
        "font_family": "inherit",
        "bubble_border_radius": 16,
        "container_max_width": 896,
        "popup_width": 380,
        "container_height": 620,
        "container_max_height": 90,
        "container_min_height": 320,
        "popup_height": 620,
        "popup_min_height": 320,
        "popup_max_height": 90,
    },
    "customTypingText": "",
}

_TEXT = {
    "sendMessage": "Send Message",
    "sending": "Sending...",
    "stopResponse": "Stop Response",
    "typeMessage": "Type your message...",
    "thinking": "Thinking",
    "streaming": "Streaming...",
    "statusThinking": "Thinking...",
    "statusProcessing": "Processing...",
    "statusSearchingWeb": "Searching web...",
    "statusRetrievingContext": "",
    "statusCallingTool": "Calling tool...",
    "errorPrefix": "Error:",
    "userPrefix": "User",
    "sources": "Sources",
    "source": "Source",
    "clearChat": "Clear Chat",
    "fullscreen": "Fullscreen",
    "exitFullscreen": "Exit Fullscreen",
    "download": "Download Transcript",
    "downloadTxt": "Download TXT",
    "downloadPdf": "Download PDF",
    "downloadEmpty": "Nothing to download.",
    "pdfError": "Could not open the print window. Please allow popups and try again.",
    "streamError": "Stream error. Please try again.",
    "connError": "Connection error. Please try again.",
    "initialGreeting": "Hello there!",
    "initialSubgreeting": "How can I help you today?",
    "sidebarToggle": "Toggle Conversation Sidebar",
    "newChat": "New Chat",
    "conversations": "Conversations",
    "searchConversations": "Search conversations",
    "historyGuests": "History unavailable for guests.",
    "historyEmpty": "No past conversations.",
    "historySidebarEmpty": "No conversations yet — start one to see it here.",
    "historySearchEmpty": "No conversations match your search.",
    "historyLoadingOlder": "Loading older conversations...",
    "fileUploading": "Uploading %s",
    "fileIndexing": "Indexing %s",
    "detachFile": "Detach file",
    "feedbackLikeLabel": "Like response",
    "feedbackDislikeLabel": "Dislike response",
    "feedbackSubmitted": "Feedback submitted",
    "copyActionLabel": "Copy response",
    "copySuccess": "Copied!",
    "copyCodeLabel": "Copy code",
    "consentTitle": "Consent Required",
    "consentMessage": "Before starting the conversation, please agree to our Terms of Service "
    "and Privacy Policy.",
    "consentButton": "I Agree",
    "playActionLabel": "Play audio",
    "voiceInput": "Voice input",
    "voiceStarting": "Starting microphone...",
    "voiceRecording": "Listening...",
    "voiceCancelRecording": "Cancel recording",
    "voiceFinishRecording": "Finish recording",
    "voiceTranscribing": "Transcribing audio...",
    "voiceAlreadyActive": "Voice recording is already active in another chatbot.",
    "voiceUnavailableScriptError": "Voice input is currently unavailable.",
    "voiceRequiresHttps": "Voice recording requires a secure HTTPS connection.",
    "voiceBrowserUnsupported": "Voice recording is not supported by this browser.",
    "voiceRecordingFailedPrefix": "Recording failed",
    "voiceTranscriptionFailedPrefix": "Transcription failed",
    "voiceProcessingError": "Error processing recorded audio.",
    "voiceConfigError": "Failed to process audio: configuration error.",
    "imageCommandEmptyPrompt": "Please provide a description after the image command (e.g., "
    "/image a cat playing with a ball).",
    "pauseActionLabel": "Pause audio",
    "webSearchToggle": "Toggle Web Search",
    "webSearchActive": "Web Search Active",
    "webSearchInactive": "Web Search Inactive",
    "googleSearchGroundingToggle": "Toggle Google Search Grounding",
    "googleSearchGroundingActive": "Google Search Grounding Active",
    "googleSearchGroundingInactive": "Google Search Grounding Inactive",
    "dismissHint": "Dismiss",
}

_ACCENT_STYLE = (
    "--aipkit-chat-accent-color:#0B5FFF;--aipkit-chat-accent-rgb:11,95,255;"
    "--aipkit-chat-selection-rgb:11,95,255;--aipkit-chat-on-accent-color:#FFFFFF;"
    "--aipkit-chat-on-accent-rgb:255,255,255;--aipkit-chat-accent-hover-color:#2872FF;"
    "--aipkit-chat-accent-tint-color:#E2ECFF;--aipkit-chat-accent-on-tint-color:#0B5FFF;"
    "--aipkit-chat-accent-shadow-color:rgba(11,95,255,0.3);"
    "--aipkit-chat-header-avatar-bg-color:rgba(255,255,255,0.18);"
    "--aipkit-chat-header-status-text-color:rgba(255,255,255,0.85);"
)
_GLOBAL_TEXT = {
    "fullscreenError": "Error: Fullscreen functionality is unavailable.",
    "copySuccess": "Copied!",
    "copyFail": "Failed to copy",
    "copyActionLabel": "Copy response",
    "feedbackSubmitted": "Feedback submitted",
    "feedbackError": "Error saving feedback",
    "newChat": "New Chat",
    "sidebarToggle": "Toggle Conversation Sidebar",
    "historyGuests": "History unavailable for guests.",
    "historyEmpty": "No past conversations.",
}
_SEND_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" '
    'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'stroke-linejoin="round" class="icon icon-tabler icons-tabler-outline icon-tabler-arrow-up '
    'aipkit_send_icon"><path stroke="none" d="M0 0h24v24H0z" fill="none"/>'
    '<path d="M12 5l0 14" /><path d="M18 11l-6 -6" /><path d="M6 11l6 -6" /></svg>'
)
_BUBBLE_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" '
    'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'stroke-linejoin="round" class="icon icon-tabler icons-tabler-outline '
    'icon-tabler-message-circle"><path stroke="none" d="M0 0h24v24H0z" fill="none"/>'
    '<path d="M3 20l1.3 -3.9c-2.324 -3.437 -1.426 -7.872 2.1 -10.374c3.526 -2.501 8.59 -2.296 '
    "11.845 .48c3.255 2.777 3.695 7.266 1.029 10.501c-2.666 3.235 -7.615 4.215 -11.574 "
    '2.293l-4.7 1" /></svg>'
)


def bot_config(profile: Profile, page: PageFields, bot_id: int, *, popup: bool) -> dict[str, Any]:
    """The ``data-config`` object of one bot, in the plugin's key order."""
    config: dict[str, Any] = {
        "botId": bot_id,
        "ajaxUrl": page.ajax_url,
        "nonce": page.nonce,
        "postId": page.post_id,
    }
    for key, value in _UI.items():
        if key == "customTypingText":
            config["text"] = dict(_TEXT)
        config[key] = value
        if key == "popupLabelSize" and profile.json_action:
            config["streamEnabled"] = page.stream
    config["popupEnabled"] = popup
    if bot_id in page.image_upload:  # the attach button: the only place the setting shows
        config["imageUploadEnabledUI"] = config["inputActionButtonEnabled"] = True
    return config


def _attr_json(value: Any) -> str:
    # wp_json_encode(JSON_UNESCAPED_UNICODE|JSON_HEX_*) then esc_attr, in single quotes.
    return esc_attr(php_json_encode(value, unicode=True, hex_chars=True))


def _chat_inner(bot_id: int, name: str) -> str:
    return f"""        <div class="aipkit_chat_body">
                        <div class="aipkit_chat_main">
                                        <div class="aipkit_chat_header">
        <div class="aipkit_header_info">
            <span class="aipkit_header_name">{esc_html(name)}</span>
                                </div>
                <div class="aipkit_header_actions">
                            <button type="button" class="aipkit_header_btn aipkit_fullscreen_btn" title="Fullscreen" aria-label="Fullscreen" aria-expanded="false"></button>
                                            </div>
    </div>
                                    <div class="aipkit_chat_messages"></div>
                                    <div class="aipkit_conversation_starters"></div>
                                    <div class="aipkit_chat_input">
        <div class="aipkit_chat_input_wrapper">
            <textarea
                id="aipkit_chat_input_field_{bot_id}"
                name="aipkit_chat_message_{bot_id}"
                class="aipkit_chat_input_field"
                placeholder="Type your message..."
                aria-label="Chat message input"
                rows="1"
            ></textarea>
             <div class="aipkit_chat_input_actions_bar">
                <div class="aipkit_chat_input_actions_right">
                    <button
                        class="aipkit_input_action_btn aipkit_chat_action_btn aipkit_send_btn"
                        aria-label="Send Message"
                        title="Send Message"
                        type="button"
                    >
                        {_SEND_ICON}
                    </button>
                </div>
            </div>
        </div>
            </div>
                </div>
        </div>
"""  # noqa: E501


def _inline(config: dict[str, Any], bot_id: int) -> str:
    theme = esc_attr(php_json(config["customThemeSettings"]))
    return (
        '\t\t    <div class="aipkit_chat_container aipkit-theme-custom  '
        'aipkit-sidebar-state-closed   " '
        f'id="aipkit_chat_container_{bot_id}" data-bot-id="{bot_id}" '
        f"data-config='{_attr_json(config)}' data-custom-theme='{theme}' "
        f'style="{_ACCENT_STYLE}" >\n'
        + _chat_inner(bot_id, str(config["headerName"]))
        + "            </div>\n"
    )


def _popup(config: dict[str, Any], bot_id: int) -> str:
    theme = esc_attr(php_json(config["customThemeSettings"]))
    position = config["popupPosition"]
    size = config["popupIconSize"]
    hint = esc_html(str(config["popupLabelText"]))
    return f"""<div class="aipkit_popup_wrapper aipkit-popup-theme-custom aipkit-popup-standard" id="aipkit_popup_wrapper_{bot_id}" data-config='{_attr_json(config)}' data-bot-id="{bot_id}" data-icon-size="{size}" style="{_ACCENT_STYLE}">
        <button type="button" class="aipkit_popup_trigger aipkit_popup_position-{position} aipkit_popup_trigger--size-{size}" id="aipkit_popup_trigger_{bot_id}" aria-label="Open Chat" title="Open Chat" aria-haspopup="dialog" aria-controls="aipkit_chat_container_{bot_id}" aria-expanded="false"  data-icon-style="circle" data-icon-type="default" data-label-open="Open Chat" data-label-close="Close Chat">
            <span class="aipkit_popup_icon aipkit_popup_icon--open">
                {_BUBBLE_ICON}
            </span>
        </button>
                    <div
                class="aipkit_popup_hint aipkit_popup_position-{position} aipkit_popup_hint--size-large"
                id="aipkit_popup_hint_{bot_id}"
                role="status"
                aria-live="polite"
                aria-atomic="true"
                aria-hidden="true"
                inert
                hidden
                data-bot-id="{bot_id}"
            >
                <span class="aipkit_popup_hint_text">{hint}</span>
                                    <button type="button" class="aipkit_popup_hint_close" aria-label="Dismiss" aria-controls="aipkit_popup_hint_{bot_id}" title="Dismiss">&times;</button>
                            </div>
                <div class="aipkit_chat_container aipkit_popup_content aipkit-theme-custom  aipkit_popup_position-{position} aipkit-sidebar-state-closed   " id="aipkit_chat_container_{bot_id}" aria-hidden="true" inert data-custom-theme='{theme}' style="{_ACCENT_STYLE}" >
{_chat_inner(bot_id, str(config["headerName"]))}        </div>
    </div>
"""  # noqa: E501


def _aipkit_scripts(profile: Profile, page: PageFields) -> str:
    scripts = (
        "<script id='aipkit-public-main-js-extra'>\n"
        f"var aipkit_chat_config_global = {php_json({'text': _GLOBAL_TEXT})};\n</script>\n"
    )
    if page.refresh_action:
        scripts += (
            "<script id='aipkit-public-main-js-before'>\n"
            'window.aipkit_getChatNonceAction = "aipkit_get_frontend_chat_nonce";\n</script>\n'
        )
    return scripts + (
        f"<script src='{_plugin_url(page)}/dist/js/public-main.bundle.js?ver={profile.version}' "
        "id='aipkit-public-main-js'></script>\n"
    )
