"""Boilerplate of web and WeChat pages saved as text or Markdown: what the page
wrapped around the article, never the article itself.

Follow and subscribe prompts, share / like / 在看 buttons, QR-code prompts,
"往期推荐" and "相关阅读" lists, editor and source credits, END markers, reading
times, reprint notices, app and group promotions, and a WeChat page's account card
and interface text (预览时标签不可点, 微信扫一扫, 继续滑动看下一个 …). The layout repair
(:func:`pipeline.read.layout.segment`) leaves such blocks out of the translation and
lists them in ``Document.dropped`` with reason ``boilerplate`` (``--keep-boilerplate``
keeps them). The rules read the text alone (:func:`is_boilerplate_text`) and where a
block stands (:func:`boilerplate_flags`: the page's tail of interface text, a
related-articles list, the account card, a repost's note above a rule), so the
readers of other formats can use the text rules too.
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

#: Longest block a leading pattern (a credit, a notice's start) makes boilerplate.
MAX_LEADING_CHARS = 120
#: Longest block one prompt inside it makes boilerplate (up to :data:`MAX_PROMPT_CHARS`
#: when the prompt is at least :data:`MIN_PROMPT_SHARE` of it); with two prompts,
#: :data:`MAX_PROMPTS_CHARS`.
MAX_SHORT_PROMPT_CHARS = 12
MAX_PROMPT_CHARS = 60
MIN_PROMPT_SHARE = 0.3
MAX_PROMPTS_CHARS = 200
#: Longest line of a WeChat page's interface or a related-articles list.
MAX_TAIL_CHARS = 40
#: Longest block of a repost's note above a rule (longer is the article's text).
MAX_NOTE_CHARS = 80

_ROLE = r"(?:责任编辑|责编|编辑|编审|校对|审核|审校|审稿|终审|复审|初审|排版|美编|美术编辑|值班编辑|监制|出品人|主编|统筹|策划|视觉设计|运营)"
#: A source credit: a label (来源：) or a phrase (原文来自, 转载自).
_SOURCE = r"(?:(?:来源|文章来源|本文来源|信息来源|稿件来源|原文链接|原文地址|出处)\s*[:：/／｜|丨]|原文来自|本文来自|文章来自|内容来自|本文转自|本文转载自|转载自|转载于|转自|源自|原载于?|来自微信公众?号)"
_RELATED_WORDS = (r"(?:往期(?:推荐|精选|回顾|阅读|文章|热文)|推荐阅读|相关阅读|延伸阅读|热门(?:文章|推荐)|精彩(?:推荐|回顾)"
                  r"|更多精彩|猜你喜欢|相关(?:文章|推荐|链接)|近期(?:文章|热文)|历史文章)")
#: Boilerplate when a block starts with it (a credit, a list's heading, an END marker, the account card).
_LEADING = regex.compile(
    rf"""(?x)^(?:
      [(（【\[]?{_ROLE}(?:\s*[:：/／｜|丨]\s*\S|\s+[\p{{Han}}·A-Za-z])
    | [(（【\[]?(?P<source>{_SOURCE})
    | 原标题\s*[:：为] | 本文由.{{0,30}}(?:转码|整理|编译)
    | [\W\d_]*{_RELATED_WORDS}
    | [-—–=·•*\s]*(?:END|End|THE\s*END|全文完|完)[-—–=·•*\s]*$ | [(（【\[]完[)）】\]]$
    | 微信号[\s:：] | 功能介绍[\s:：] | 发表于 | 收录于(?:话题|合集)
    )"""
)
#: Prompts and notices anywhere in a short block.
_PROMPTS = regex.compile(
    r"""(?x)
    # follow, subscribe, star
      关注我们 | (?:点击|戳).{0,12}关注 | 长按.{0,12}(?:识别|关注|二维码|小程序)
    | (?:扫描|扫一扫|扫码|识别).{0,8}二维码 | 扫码.{0,12}(?:关注|加入|添加|下载|阅读|进群|入群)
    | 欢迎关注 | 设为?星标 | 星标.{0,6}(?:公众号|我们) | 置顶公众号 | 一键关注
    | 关注.{0,12}(?:公众号|微信号|视频号|头条号|抖音号|订阅号) | 订阅(?:我们|本号|公众号)
    # share, like, 在看
    | 点(?:个|一下)\s*(?:赞|在看) | 点\s*在看 | 点赞\s*[+、和与]?\s*(?:在看|转发|分享|关注) | 点亮.{0,4}在看 | 分享给.{0,4}朋友 | (?:欢迎|记得).{0,6}(?:分享|转发)
    | 转发(?:到|至)朋友圈 | 朋友圈分享 | 一键三连 | 轻点两下取消 | 已同步到看一看 | 发送到看一看 | 前往看一看
    | 看一看入口 | 朋友在看 | 写下你的想法 | 最多\d+字 | 当前共\d*字
    # a WeChat page's interface
    | 预览时标签不可点 | 微信扫一扫 | 使用小程序 | 关注该公众号 | 继续滑动看下一个 | 向上滑动看下一个 | 轻触阅读原文
    | 左右滑动查看 | 喜欢此内容的人还喜欢 | 人划线
    # reprint and copyright notices
    | 未经.{0,16}(?:授权|允许|许可|同意).{0,12}(?:转载|使用|摘编|复制) | (?:禁止|谢绝|请勿|严禁|不得).{0,6}转载
    | 转载请 | 如需转载 | 转载或商务合作 | 版权(?:所有|归|声明) | 反侵权公告 | 原创(?:内容|文章|声明)
    | 本文(?:仅代表|不代表|系|为).{0,30}(?:观点|立场|原创|首发) | 首发于 | 授权转载 | 免责声明 | 投稿.{0,10}(?:邮箱|联系|请)
    # reading time
    | 全文(?:约|共)?\s*\d+\s*字 | 阅读(?:时间)?(?:约|大约)需?\s*\d+\s*分钟 | 预计阅读
    # apps, mini programs, groups, ads
    | (?:下载|打开|安装).{0,12}(?:APP|App|app|客户端) | 小程序\s*[▼↓] | 进入.{0,12}小程序 | 点击.{0,8}小程序
    | 阅读原文 | 点击(?:这里|此处) | 戳(?:这里|此处|我) | 粉丝(?:交流)?群 | (?:申请)?(?:加群|进群|入群) | 扫码添加
    | 以下为推广 | (?:购买|开通|订阅|加入)会员 | 会员(?:付费|专享) | 付费阅读
    # subscriptions
    | (?:成为|加入).{0,12}(?:订户|会员) | 月费订户 | 订阅(?:我们|本刊|通讯|电子报) | 支持我们的(?:工作|报道|新闻)
    | subscribe\b
    """
)
#: A line of a WeChat page's buttons only: 赞 分享 在看 写留言, 上一篇 下一篇, 阅读 10万+.
_BUTTONS = regex.compile(
    r"^[\s,，:：。、|｜]*(?:(?:赞|点赞|分享|收藏|在看|转发|留言|写留言|评论|阅读|上一篇|下一篇|发送|发送中|已发送|取消|允许"
    r"|知道了|我知道了|视频|小程序|继续阅读|展开|收起|轻点两下取消赞|轻点两下取消在看)[\s,，:：。、|｜0-9万+wW]*)+$"
)
#: A link to nowhere a page's interface makes (``javascript:``), written out as text.
_INTERFACE_LINK = regex.compile(r"^(?:\s*\[[^\]]*\]\(javascript:(?:[^()]|\([^)]*\))*\))+$")
#: The interface lines that start a WeChat page's tail: everything after them is the page, not the article.
_TAIL_START = regex.compile(r"预览时标签不可点|继续滑动看下一个|向上滑动看下一个|喜欢此内容的人还喜欢|微信扫一扫|轻触阅读原文")
#: A related-articles heading: the list after it is boilerplate too.
_RELATED = regex.compile(rf"^[\W\d_]*{_RELATED_WORDS}")
_FOLLOW = regex.compile(r"关注我们|(?:点击|戳).{0,12}关注|欢迎关注|长按.{0,12}(?:识别|关注)")
_ACCOUNT_ID = regex.compile(r"^微信号[\s:：]")
#: A sentence that ends (a word right before a final mark).
_SENTENCE_END = regex.compile(r"\S[。！？!?；;]")
_NOT_WORDS = regex.compile(r"[\W_]+")
_PUNCTUATION = regex.compile(r"[，,。、；;：:！？!?]")
_MARKUP = regex.compile(r"[*_~`#>\s]+")


def is_boilerplate_text(text: str, kind: str = "paragraph") -> bool:
    """Whether ``text`` (one block, Simplified) is boilerplate by what it says: a
    button row, an interface link, a block that starts with a credit, a list's
    heading or an END marker, or a short block with a prompt or a notice in it.
    A source credit next to a picture is the picture's (``kind`` caption): kept."""
    if len(text) > 2 * MAX_PROMPTS_CHARS:
        return False
    text = _MARKUP.sub(" ", text).strip()
    if not text:
        return False
    if _BUTTONS.match(text) or _INTERFACE_LINK.match(text):
        return True
    leading = _LEADING.match(text) if len(text) <= MAX_LEADING_CHARS else None
    if leading is not None and not (leading.group("source") and kind == "caption"):
        return True
    if len(text) > MAX_PROMPTS_CHARS:
        return False
    prompts = {found.group(0) for found in _PROMPTS.finditer(text)}
    if len(prompts) >= 2:
        return True
    if not prompts:
        return False
    words = len(_NOT_WORDS.sub("", text)) or 1  # what the share is of: dashes and brackets aside
    share = len(_NOT_WORDS.sub("", next(iter(prompts)))) / words
    return words <= MAX_SHORT_PROMPT_CHARS or (words <= MAX_PROMPT_CHARS and share >= MIN_PROMPT_SHARE)


def boilerplate_flags(texts: Sequence[str], kinds: Sequence[str], body_start: int = 0,
                      rule: int | None = None) -> list[bool]:
    """For every block (its Simplified ``texts`` and its ``kinds`` so far), whether
    it is boilerplate: by its text, or by where it stands. ``body_start`` is the
    first block after a title (the account card and a repost's note stand there).

    - a WeChat page's tail: from an interface line (预览时标签不可点, 微信扫一扫 …)
      on, every short line, picture or link (the repeated title and account name too);
    - a related-articles list: after its heading, the short lines, pictures and links;
    - the account card: the account's name right above its 微信号 line, and a slogan
      right under a follow prompt;
    - a repost's note: above a thematic break (``rule``, the first block under one)
      that no body text comes before, when a credit is among it (原文来自 ……), all
      but its bylines, captions and pictures.
    """
    flags = [is_boilerplate_text(text, kind) for text, kind in zip(texts, kinds)]
    if body_start < len(texts) and kinds[body_start] == "byline":
        flags[body_start] = False  # the account's name under a WeChat title: the byline
    n = len(texts)
    title = _MARKUP.sub("", texts[body_start - 1]) if 0 < body_start <= n and kinds[body_start - 1] == "title" else None
    # The page's interface repeats the title: in its tail a repeat counts as a short line.
    short = [_is_short_line(text, kind) or (title is not None and i >= body_start and _MARKUP.sub("", text) == title)
             for i, (text, kind) in enumerate(zip(texts, kinds))]
    # The tail of a WeChat page: the first interface line after which nothing is article text.
    tail = next((i for i in range(n) if _TAIL_START.search(texts[i]) and all(
        flags[j] or short[j] for j in range(i, n))), None)
    if tail is not None:
        start = tail
        while start > body_start and (flags[start - 1] or short[start - 1]) and kinds[start - 1] != "byline":
            start -= 1
        for j in range(start, n):
            flags[j] = flags[j] or short[j]
    if rule is not None and any(flags[:rule]) and not any(
            kinds[i] in ("heading", "list_item", "quote", "table") or (kinds[i] == "paragraph" and not flags[i]
                                                                       and len(texts[i]) > MAX_NOTE_CHARS)
            for i in range(body_start, rule)):
        for i in range(body_start, rule):
            flags[i] = flags[i] or kinds[i] in ("paragraph", "label")
    for i in range(n):
        if _RELATED.match(_MARKUP.sub(" ", texts[i]).strip()) and flags[i]:
            j = i + 1
            while j < n and (short[j] or flags[j]) and kinds[j] not in ("heading", "title"):
                flags[j] = True
                j += 1
        if _ACCOUNT_ID.match(texts[i]) and i > 0 and short[i - 1] and kinds[i - 1] not in ("title",):
            flags[i - 1] = True
        if _FOLLOW.search(texts[i]) and flags[i] and i + 1 < n and short[i + 1] and i < body_start + 12 \
                and not _PUNCTUATION.search(texts[i + 1]):
            flags[i + 1] = True  # the account's slogan under 关注我们
    return flags


def _is_short_line(text: str, kind: str) -> bool:
    """A short line that is not a sentence (no sentence ends in it), a picture or
    a link: what a page's interface and link lists are made of (never a byline)."""
    if kind in ("image",):
        return True
    if kind in ("byline", "table", "code", "front_matter", "title"):
        return False
    plain = _MARKUP.sub("", text)
    return len(plain) <= MAX_TAIL_CHARS and not _SENTENCE_END.search(plain)
