"""The words a service page states its facts in: section headings, field labels, table headers and
row names, units and negations, zh and en. Every reader of ``sources.page`` looks words up here.

Labels and headers are compared as ``label_key()`` gives them (plain, no spaces, lowercase).
"""

from __future__ import annotations

import re

MAX_CELL_CHARS = 2000



# Section headings, matched as substrings of the heading key.
OVERVIEW_WORDS = ("服务概览", "服务信息", "基本信息", "overview", "serviceinfo")
QUOTA_WORDS = ("配额", "限制", "额度", "积分", "成本", "quota", "limit", "credit")
MODEL_WORDS = ("模型", "价格", "定价", "成本", "费用", "model", "pric", "cost")
RESOURCE_WORDS = ("相关资源", "资源", "链接", "resources", "links")
FACT_WORDS = OVERVIEW_WORDS + QUOTA_WORDS + MODEL_WORDS + RESOURCE_WORDS
COMPARISON_WORDS = ("对比", "比较", "竞品", "comparison", "compare", "vs")

# Overview labels (keys as label_key() gives them).
NAME = {"服务名称", "servicename"}
PROVIDER = {"所属提供者", "提供者", "所属提供商", "提供商", "provider"}
FOOTER_PROVIDER = {"服务提供者", "serviceprovider", "providedby"}
ENDPOINT = {"api端点", "端点", "apiendpoint", "endpoint", "baseurl", "apibaseurl", "api地址",
             "接口地址"}
# older pages state both `服务类型：API 服务` (a category) and `免费类型：试用积分…` (the tier)
FREE_TYPE = {"免费类型", "freetype", "freetier"}
# `服务类型：API 服务` on older pages is a category, not a tier: it states no tier
CATEGORY_TYPES = {"api服务", "apiservice", "api"}
# The placeholders of the site's template (service-api-template.md), without their brackets; a
# trailing number is dropped before the lookup (`特点 2`, `model-3`). See page/placeholders.py.
PLACEHOLDER_WORDS = frozenset({
    "API 服务名称", "服务名称", "服务简称", "Provider 名称", "提供者名称", "provider-slug",
    "完全免费/有限免费/试用积分", "是否需要注册/信用卡/实名认证",
    "服务形式描述，比如：开发者 API 接口、RESTful API 服务等",
    "数量", "长度", "价格", "金额", "有效期", "年月", "具体数值", "API 更新、新模型、配额变化",
    "重置时间，如 UTC 0:00", "重置规则", "有效期和过期规则", "金额和有效期",
    "可选步骤，如充值或绑定信用卡", "说明", "详细说明", "详细操作", "数据", "数据支持", "回答",
    "描述", "代码示例", "应用场景名称", "GitHub 链接", "状态页面链接", "本服务",
    "model", "模型", "特点", "场景", "建议", "限制", "优势", "竞品", "注意事项", "问题",
})
# Front-matter titles carry SEO decoration after a dash or bar: `DeepSeek API - 中文优化…`
TITLE_DECORATION = re.compile(r"\s+[-–—|]\s+.*$")
# Checklists of what a user must have done: read under these headings only
PREREQUISITE_WORDS = ("前提条件", "前置条件", "准备", "注册要求", "prerequisite", "requirement",
                      "beforeyoustart")
TIER = {"服务类型", "servicetype"} | FREE_TYPE
REQUIREMENTS = {"注册要求", "registrationrequirements", "requirements", "registrationrequired",
                "registration", "registrationrequirement"}
CREDIT_CARD = {"需要信用卡", "信用卡", "creditcardrequired", "creditcard"}
TRIAL = {"试用积分", "免费积分", "赠送金额", "赠送额度", "trialcredits", "freecredits"}
RESET = {"每日配额", "dailyquota", "每日重置", "daily"}
RESET_ROWS = {"配额重置", "重置时间", "配额重置时间", "quotareset", "quotaresettime", "resettime"}
PRICE_UNIT = {"价格单位", "计价单位", "单位", "priceunit", "pricingunit", "unit"}
KNOWN_LABELS = (NAME | PROVIDER | FOOTER_PROVIDER | ENDPOINT | TIER | REQUIREMENTS
                 | CREDIT_CARD | TRIAL | RESET | PRICE_UNIT)
DEFAULT_TIERS = {"免费层级限制", "免费层级", "免费额度", "配额和限制", "freetierlimits",
                  "freetier", "freetierlimitations", "quotasandlimits", "quotasandlimitations"}

# Quota table rows → limit keys; lengths go through parse_length, the rest through parse_count.
LIMIT_ROWS = {
    **dict.fromkeys(("每日请求数", "每天请求数", "每日请求", "日请求数", "dailyrequests",
                     "requestsperday", "rpd", "requests/day"), "requests_per_day"),
    **dict.fromkeys(("每分钟请求数", "每分钟请求", "requestsperminute", "rpm", "requests/minute",
                     "requests/min"),
                    "requests_per_minute"),
    **dict.fromkeys(("每小时请求数", "每小时请求", "hourlyrequests", "requestsperhour"),
                    "requests_per_hour"),
    **dict.fromkeys(("每月请求数", "每月请求", "monthlyrequests", "requestspermonth"),
                    "requests_per_month"),
    **dict.fromkeys(("每日token数", "每天token数", "每日token", "dailytoken", "tokenperday",
                     "tpd", "token/day"), "tokens_per_day"),
    **dict.fromkeys(("每分钟token数", "每分钟token", "tokenperminute", "tpm", "token/minute",
                     "token/min"), "tokens_per_minute"),
    **dict.fromkeys(("每月token数", "每月token", "monthlytoken", "tokenpermonth"),
                    "tokens_per_month"),
    **dict.fromkeys(("每日神经元数", "每日神经元", "neuronsperday", "dailyneurons",
                     "neurons/day"), "neurons_per_day"),
    **dict.fromkeys(("并发请求", "并发请求数", "最大并发请求", "最大并发", "并发数",
                     "concurrentrequests", "maxconcurrentrequests", "concurrency", "concurrent"),
                    "concurrency"),
    # a quota row of input tokens limits one request; the context window is stated as context
    **dict.fromkeys(("每次最大输入token", "单次最大输入token", "maxinputtokenperrequest",
                     "最大输入token", "maxinputtoken"), "max_input"),
    **dict.fromkeys(("最大上下文长度", "最大上下文", "输入上下文", "maxcontextlength",
                     "maxcontext", "inputcontext"), "max_context"),
    **dict.fromkeys(("最大输出长度", "最大输出", "每次最大输出token", "最大输出token", "输出长度",
                     "maxoutputlength", "maxoutput", "maxoutputtoken", "outputlength"),
                    "max_output"),
}
# Rows whose unit decides the key: tokens → tokens_per_month, requests → requests_per_month.
MONTHLY_ROWS = {"每月免费额度", "月度配额", "每月配额", "每月额度", "月度调用", "每月调用",
                 "monthlyquota", "monthlyfreequota", "monthlycalls", "monthlyfreecredits",
                 "monthlycredits"}
RATE_ROWS = {"速率限制", "速率", "频率限制", "ratelimit", "ratelimits"}
PER_DAY = re.compile(r"/\s*(?:天|日|day)|per\s+day|每[天日]|\brpd\b|\btpd\b", re.IGNORECASE)
LENGTH_KEYS = {"max_context", "max_output", "max_input"}
REQUEST_UNIT = re.compile(r"次|请求|request|call", re.IGNORECASE)

# Table headers.
QUOTA_LABEL_HEADERS = {"限制项", "项目", "限制", "限制类型", "配额项", "limitation", "limititem",
                        "limit", "item", "limittype"}
NOTES_HEADERS = {"说明", "备注", "注释", "描述", "notes", "note", "description", "remarks",
                   "comment"}
FREE_COLUMN_WORDS = ("免费", "基础", "试用", "free", "basic", "trial")
QUOTA_SUFFIX = re.compile(r"(?:配额|限额|额度|quota|limit)$")
# `详情`/`details` beside a label column is the value, never a tier named 详情
QUOTA_VALUE_HEADERS = {"配额", "限额", "额度", "免费额度", "免费配额", "数值", "quota", "value",
                       "limit", "freequota", "详情", "details", "detail"}
MODEL_ID_HEADERS = {"模型名称", "模型", "模型id", "modelid", "model", "modelname"}
# `| 模型名称 | 模型 ID |`: the display name beside the id; the id column wins
STRICT_ID_HEADERS = {"模型id", "modelid"}
CONTEXT_HEADERS = {"上下文长度", "上下文", "上下文窗口", "最大上下文", "contextlength", "context",
                    "contextwindow"}
OUTPUT_HEADERS = {"输出长度", "最大输出", "最大输出长度", "outputlength", "maxoutput",
                   "maxoutputlength"}
INPUT_PRICE_HEADERS = {"输入价格", "输入", "inputprice", "input"}
OUTPUT_PRICE_HEADERS = {"输出价格", "输出", "outputprice", "output"}
PRICE_HEADERS = {"价格", "定价", "费用", "price", "pricing"}
# A table with one of these headers lists other things than this service's models or quotas.
FOREIGN_HEADERS = ("相对便宜", "cheaper", "要求", "requirement", "任务类型", "tasktype",
                    "支持状态", "supportstatus")

PROVIDER_LINK = re.compile(r"/providers/([^/)\s#?\"']+)")
DEPRECATED = re.compile(r"弃用|下线|停用|deprecat|retire|sunset|end[- ]of[- ]life", re.IGNORECASE)
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?")
ID_WORDS = re.compile(r"[^\W_]+")
# "not stated": `无 → 128K` is a value newly stated, not a change of text
BLANK_CELLS = {"", "-", "—", "–", "--", "/", "n/a", "N/A", "无", "暂无", "未公布", "none", "None",
               "TBD", "tbd"}
CNY = re.compile(r"人民币|元|¥|￥|cny|rmb", re.IGNORECASE)
USD = re.compile(r"美元|\$|usd", re.IGNORECASE)
PER_THOUSAND = re.compile(r"千\s*token|1k\s*token|/\s*k\b", re.IGNORECASE)

REQUIREMENT_WORDS = (
    # buying credits up front (`购买使用额度`, prepaid) asks for a way to pay, as a card does;
    # `充值` alone is not one: `实名认证（API 充值必需）` says what topping up needs
    ("credit_card", re.compile(r"信用卡|绑卡|银行卡|支付方式|付款方式|credit\s*card"
                               r"|payment\s*(?:method|card)|购买(?:使用)?额度|预付费?"
                               r"|(?:purchase|buy)\w*\s+(?:usage\s+)?credits?"
                               r"|credits?\s+purchase|prepa(?:y|id)",
                               re.I)),
    ("real_name", re.compile(r"实名|身份认证|身份验证|real[-\s]?name|identity|\bkyc\b", re.I)),
    ("phone", re.compile(r"手机|短信|电话|phone|sms", re.I)),
    ("waitlist", re.compile(r"排队|申请(?!\s*(?:api|key|密钥|令牌|token))|候补|waitlist|wait list"
                            # `Created application`: an app made in a console, not an application
                            # for access
                            r"|apply(?!\s+(?:for\s+)?(?:an?\s+)?(?:api|key|token))"
                            r"|application\s+(?:review|approval|form)|invit", re.I)),
    # `Email only`: signing up with an email address
    ("registration", re.compile(r"注册|账号|账户|登录|regist|sign[\s-]?up|account|log\s?in"
                                r"|e-?mail|邮箱", re.I)),
)
NEGATION_BEFORE = re.compile(r"无需|无须|不需要|不需|不用|不要求|不必|免(?!费)|无|\bno\b|\bnot\b"
                              r"|without|n't", re.I)
NEGATION_AFTER = re.compile(r"not\s+(?:required|needed)|optional|可选|非必[须需]|不需要|不必",
                             re.I)
POSITIVE = re.compile(r"需要|需|要求|必须|requires?|required|need", re.I)
# `服务类型：Experiment 免费试用 + Scale 按需付费`: Scale is a paid plan, so
# `Scale 计划需绑定支付方式` is what upgrading asks for, not what the entry plan asks for
PAID_PLAN = re.compile(r"([A-Za-z][\w-]*)\s*(?:按需|按量)?\s*"
                       r"(?:付费|paid|pay[-\s]as[-\s]you[-\s]go)", re.IGNORECASE)
CLAUSE = re.compile(r"[，,;；。（）()|]|但是?|\bbut\b", re.I)

# Credits given again every period: `每月免费额度 | $5`, `Free 约 $0.10/月`
CREDIT_PERIODS = (("month", re.compile(r"每月|月度|/\s*月|/\s*mo(?:nth)?\b|per\s+month|monthly",
                                       re.IGNORECASE)),
                  ("day", re.compile(r"每[日天]|/\s*[日天]|/\s*day\b|per\s+day|daily", re.I)))

FREE_PLAN_PREFIX = re.compile(r"^\s*(?:free|免费(?:版|层)?)\s+", re.IGNORECASE)
PERIOD_SUFFIX = re.compile(r"\s*(?:/\s*(?:月|mo(?:nth)?|[日天]|day)|per\s+(?:month|day))\s*$",
                           re.IGNORECASE)

# Per-model blocks: `### Name`, `**Model ID:** `id``, then a `| 特性 | 详情 |` table of facts.
MODEL_ID_LABELS = {"modelid", "模型id"}
FEATURE_HEADERS = {"特性", "属性", "参数", "项目", "feature", "features", "property", "spec"}
# A price split by (in)/(out) markers: `$1.25-2.50/M (in), $5-10/M (out)`.
IN_OUT_SPLIT = re.compile(r"^(.*?)\(\s*in(?:put)?\s*\)[\s,，;；/]*(.*?)\(\s*out(?:put)?\s*\)\s*$",
                          re.IGNORECASE)

# A limit shared by every model, stated in prose: `所有 Gemini 模型共享每日 1500 次请求的总配额`,
# `60 requests/min（跨所有模型）`.
SHARED = re.compile(r"共享|跨所有|所有模型|across\s+all|\bshare[sd]?\b", re.IGNORECASE)
PROSE_AMOUNT = re.compile(r"(\d[\d,.]*\s*(?:万|[KkMm](?![a-z]))?)\s*(?:次|个)?\s*"
                          r"(请求|requests?|calls?|tokens?)", re.IGNORECASE)
PROSE_PERIODS = (("minute", re.compile(r"每分钟|/\s*min|per\s+minute|\brpm\b", re.I)),
                 ("hour", re.compile(r"每小时|/\s*h(?:ou)?r|per\s+hour", re.I)),
                 ("day", re.compile(r"每[日天]|/\s*day|per\s+day|daily", re.I)),
                 ("month", re.compile(r"每月|/\s*month|per\s+month|monthly", re.I)))

# Prices in a list under a bold line naming the models: `- 输入：¥1 / 百万 tokens`,
# `- 输入（缓存命中）：$0.028 / 百万 tokens`. Labels compared as written (the parenthetical counts).
CACHE_HIT = re.compile(r"缓存命中|cache\s*hit|cached\s*input|缓存读", re.IGNORECASE)
CACHE_WRITE = re.compile(r"缓存写|cache\s*write", re.IGNORECASE)
# `输入（缓存未命中）`: the plain input price, said from the cache's side
CACHE_MISS = re.compile(r"缓存未命中|cache\s*miss", re.IGNORECASE)
# `**所有模型（V3.2）：**` over a price list: the prices of every model on the page
ALL_MODELS = re.compile(r"^\s*(?:所有|全部)模型|^\s*all\s+models", re.IGNORECASE)
# `- deepseek-chat：标准模式，默认输出 4K（最大 8K）`: a note on a model's output
OUTPUT_WORDS = re.compile(r"输出|output", re.IGNORECASE)
MODEL_LIST_SPLIT = re.compile(r"\s*(?:&|＆|、|,|，|/|\band\b|和)\s*")
# `默认输出 4K（最大 8K）`: the maximum, not the default
MAX_IN_NOTE = re.compile(r"(?:最大|最高|max(?:imum)?)\s*[:：]?\s*(\d[\d,.]*\s*[KkMm万]?)",
                         re.IGNORECASE)

# A limit stated as a range: `20,000-1,000,000`, `8K-128K tokens`, `1万～5万`
RANGE = re.compile(r"^\s*(?:约\s*)?(\d[\d,.]*\s*(?:万|[KkMm])?)\s*[-~～–—]\s*"
                   r"(\d[\d,.]*\s*(?:万|[KkMm])?)\s*(?:tokens?|requests?|次)?\s*$", re.IGNORECASE)

# `- **速率限制：** 10 RPM，50 RPD` under a model's own heading: that model's limits
RATE_PARTS = re.compile(r"(\d[\d,.]*\s*(?:万|[KkMm])?)\s*(rpm|rpd|tpm|tpd|rph)\b", re.IGNORECASE)
RATE_UNITS = {"rpm": "requests_per_minute", "rpd": "requests_per_day", "rph": "requests_per_hour",
              "tpm": "tokens_per_minute", "tpd": "tokens_per_day"}
