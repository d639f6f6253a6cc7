"""The chat page an AIPKit (AI Puffer 2.3+) site serves, modelled on the recorded 2.4.71 page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatgpt4o.testing._pages import SITE_TITLE, WP_VERSION
from chatgpt4o.testing._php import esc_attr, esc_html, php_json, php_json_encode
from chatgpt4o.testing._profiles import Profile


@dataclass(frozen=True)
class AipkitPage:
    """Everything variable on an AIPKit page.

    Attributes:
        url: the site root without trailing slash.
        ajax_url: the advertised AJAX endpoint (``ajaxUrl``).
        post_id: the page's post ID (``postId``).
        nonce: the ``aipkit_frontend_chat_nonce`` nonce printed into every bot's config.
        bots: ``(bot_id, popup)`` for each chatbot on the page, in page order.
        stream: the bots' stream switch (``streamEnabled`` on 2.3 .. 2.4.0).
        refresh_action: whether the nonce refresh action exists (its global is printed).
    """

    url: str
    ajax_url: str
    post_id: int
    nonce: str
    bots: tuple[tuple[int, bool], ...]
    stream: bool
    refresh_action: bool


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


def bot_config(profile: Profile, page: AipkitPage, bot_id: int, *, popup: bool) -> dict[str, Any]:
    """The ``data-config`` object of one bot, in the plugin's key order.

    Example:
        >>> list(bot_config(PROFILES["2.4.71"], page, 5, popup=False))[:4]  # doctest: +SKIP
        ['botId', 'ajaxUrl', 'nonce', 'postId']

    Args:
        profile: the plugin era (2.3 .. 2.4.0 add ``streamEnabled``).
        page: the page's tokens.
        bot_id: the chatbot's post ID.
        popup: whether the bot is deployed as a popup.
    """
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


def _plugin_url(page: AipkitPage) -> str:
    return f"{page.url}/wp-content/plugins/gpt3-ai-content-generator"


def _head(page: AipkitPage) -> str:
    return f"""<!doctype html>
<html lang="en-US" >
<head>
	<meta charset="UTF-8" />
	<meta name="viewport" content="width=device-width, initial-scale=1" />
	<title>{SITE_TITLE}</title>
<meta name='robots' content='max-image-preview:large' />
<link rel="alternate" type="application/rss+xml" title="{SITE_TITLE} &raquo; Feed" href="{page.url}/feed/" />
	<link rel='stylesheet' id='wp-block-library-css' href='{page.url}/wp-includes/css/dist/block-library/style.min.css?ver={WP_VERSION}' media='all' />
<link rel='stylesheet' id='twenty-twenty-one-style-css' href='{page.url}/wp-content/themes/twentytwentyone/style.css?ver=1.7' media='all' />
<link rel='stylesheet' id='aipkit-public-main-css-css' href='{_plugin_url(page)}/dist/css/public-main.bundle.css?ver=1787344627' media='all' />
<link rel="https://api.w.org/" href="{page.url}/wp-json/" /><link rel="alternate" type="application/json" href="{page.url}/wp-json/wp/v2/pages/{page.post_id}" /><link rel="EditURI" type="application/rsd+xml" title="RSD" href="{page.url}/xmlrpc.php?rsd" />
<meta name="generator" content="WordPress {WP_VERSION}" />
<link rel="canonical" href="{page.url}/" />
<link rel='shortlink' href='{page.url}/' />
</head>

<body class="home page-template-default page page-id-{page.post_id} wp-embed-responsive is-light-theme no-js singular">
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

<article id="post-{page.post_id}" class="post-{page.post_id} page type-page status-publish hentry entry">

	
	<div class="entry-content">
"""  # noqa: E501, W293


def _scripts(profile: Profile, page: AipkitPage) -> str:
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


def _tail(profile: Profile, page: AipkitPage, footer: str) -> str:
    return f"""    
	</div><!-- .entry-content -->

	</article><!-- #post-{page.post_id} -->
			</main><!-- #main -->
		</div><!-- #primary -->
	</div><!-- #content -->

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
{_scripts(profile, page)}
</body>
</html>
"""  # noqa: E501, W291


def render_aipkit_page(profile: Profile, page: AipkitPage) -> str:
    """Render the page: inline bots in the content, popup bots in the footer (``wp_footer``).

    Example:
        >>> html = render_aipkit_page(PROFILES["2.4.71"], page)  # doctest: +SKIP

    Args:
        profile: the plugin era.
        page: the page's tokens.
    """
    content: list[str] = []
    footer: list[str] = []
    for bot_id, popup in page.bots:
        config = bot_config(profile, page, bot_id, popup=popup)
        if popup:
            footer.append(_popup(config, bot_id))
        else:
            content.append(_inline(config, bot_id))
    body = "<p>Ask the assistant anything.</p>\n" + "".join(content)
    return _head(page) + body + _tail(profile, page, "".join(footer))
