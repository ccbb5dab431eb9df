"""Synthetic service pages (house template plus the variants real pages show) and data files.

Used by generate.py for the "site" workload. A page is rendered from a small state dict, so an
edit is a change of state (a quota number, a model, a price, a reworded FAQ answer) followed by a
re-render of that one page. Sizes land at 10–15 KB like the real site: code examples, FAQ,
a comparison table with other services, a hand-written changelog.
"""

from __future__ import annotations

import random
from typing import Any

FILLER = [
    "该服务提供 OpenAI 兼容接口，迁移成本低。", "适合原型开发、教学与个人项目。",
    "响应速度在高峰时段可能下降，建议实现重试。", "支持流式输出与函数调用。",
    "免费额度每日刷新，超出后请求会被限流。", "控制台提供用量统计与密钥管理。",
    "部分模型仅在特定地区可用。", "文档完善，社区活跃，示例丰富。",
    "The API follows the OpenAI chat completions format.", "Rate limits apply per key.",
]
TIER_TEXT = ["完全免费", "有限免费", "试用积分", "免费额度（每日 100 万 Token）"]
LIMIT_ROWS = [("每日请求数", "requests/day"), ("每分钟请求数", "requests/min"),
              ("每日 Token 数", "tokens/day"), ("每分钟 Token 数", "tokens/min"),
              ("并发请求", "")]


def length(n: int, style: int) -> str:
    """Lengths written the ways pages write them: 128K, 131,072, 1M."""
    if style == 0 and n % 1024 == 0:
        return f"{n // 1024}K"
    if style == 1 and n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n:,}"


def new_page_state(rng: random.Random, slug: str, index: int) -> dict[str, Any]:
    models = [new_model(rng, f"{slug}-m{k}") for k in range(rng.randint(3, 7))]
    return {
        "slug": slug, "variant": index % 4, "name": f"{slug.title()} API",
        "provider": slug.split("-")[0], "tier": rng.choice(TIER_TEXT[:3]),
        "endpoint": f"https://api.{slug}.example.com/v1",
        "models": {m["id"]: m for m in models},
        "limits": {row: rng.choice([10, 20, 60, 100, 1000, 14400, 100000, 500000])
                   for row, _ in LIMIT_ROWS},
        "pro_limits": {"每分钟请求数": rng.choice([5, 10, 20]),
                       "每日请求数": rng.choice([50, 200])},
        "card": rng.random() < 0.3,
        "faq": [(f"{rng.choice(FILLER)}（问题 {q}）", " ".join(rng.sample(FILLER, 5)))
                for q in range(rng.randint(8, 12))],
        "features": rng.sample(FILLER, 4),
        "log": [f"- **2024年{m}月：** {rng.choice(FILLER)}" for m in range(1, rng.randint(3, 8))],
        "noise": 0,
    }


def new_model(rng: random.Random, model_id: str) -> dict[str, Any]:
    return {"id": model_id, "context": rng.choice([8192, 32768, 131072, 1_000_000]),
            "output": rng.choice([2048, 4096, 8192]),
            "input": rng.choice([0.1, 0.15, 0.28, 0.5, 1.0, 2.5]),
            "output_price": rng.choice([0.3, 0.42, 0.6, 2.0, 10.0]),
            "feature": rng.choice(FILLER)}


def edit_page(rng: random.Random, state: dict[str, Any]) -> str:
    """One hand edit of a page; returns what kind of edit (for the commit message)."""
    roll = rng.random()
    if roll < 0.3:
        row = rng.choice(list(state["limits"]))
        state["limits"][row] = max(1, int(state["limits"][row] * rng.choice([0.5, 0.8, 1.5, 2])))
        return "quota"
    if roll < 0.45:
        model = rng.choice(list(state["models"].values()))
        side = rng.choice(["input", "output_price"])
        model[side] = round(model[side] * rng.choice([0.5, 0.8, 1.25, 2]), 4)
        return "price"
    if roll < 0.55:
        m = new_model(rng, f"{state['slug']}-n{rng.randint(0, 10**6)}")
        state["models"][m["id"]] = m
        return "model added"
    if roll < 0.62 and len(state["models"]) > 2:
        del state["models"][rng.choice(list(state["models"]))]
        return "model removed"
    if roll < 0.7:
        model = rng.choice(list(state["models"].values()))
        model["context"] = rng.choice([8192, 32768, 131072, 262144])
        return "context"
    i = rng.randrange(len(state["faq"]))  # noise: a reworded answer, a new changelog line
    state["faq"][i] = (state["faq"][i][0], " ".join(rng.sample(FILLER, 3)))
    state["noise"] += 1
    if rng.random() < 0.3:
        state["log"].append(f"- **2025年{rng.randint(1, 12)}月：** {rng.choice(FILLER)}")
    return "wording"


def render_page(s: dict[str, Any]) -> str:
    v, colon = s["variant"], ":" if s["variant"] == 1 else "："
    out = [f'---\ntitle: "{s["name"]}"\ntype: docs\nweight: 20\ncomments: true\n'
           "sidebar:\n  open: true\n---\n"]
    if v == 2:
        out.append(f"## 📋 服务信息\n\n**提供者{colon}** [{s['provider'].title()}]"
                   f"(/providers/{s['provider']})  \n**免费类型{colon}** {s['tier']}  \n"
                   f"**API 兼容性{colon}** OpenAI 兼容  \n**API 端点{colon}** `{s['endpoint']}`\n")
    else:
        out.append(f"## 📋 服务概览\n\n**服务名称{colon}** {s['name']}  \n**所属提供者{colon}** "
                   f"[{s['provider'].title()}](/providers/{s['provider']})  \n"
                   f"**API 端点{colon}** `{s['endpoint']}`  \n**服务类型{colon}** {s['tier']}  \n"
                   f"**注册要求{colon}** 需要注册{'和信用卡' if s['card'] else ''}\n")
    out.append("\n---\n\n## ✅ 服务说明\n\n" + " ".join(s["features"]) + "\n\n### 主要特点\n\n")
    out += [f"- **特点 {i + 1}{colon}** {f}\n" for i, f in enumerate(s["features"])]
    out.append("\n---\n\n## 🎁 可用模型\n\n### 免费/试用模型列表\n\n")
    models = list(s["models"].values())
    if v in (0, 1):
        extra = " 提供商 |" if v == 1 else ""
        out.append(f"| 模型名称 |{extra} 上下文长度 | 输出长度 | 特点 | 适用场景 |\n"
                   f"|---|{'---|' if v == 1 else ''}---|---|---|---|\n")
        for i, m in enumerate(models):
            prov = f" {s['provider']} |" if v == 1 else ""
            out.append(f"| **{m['id']}** |{prov} {length(m['context'], i % 2)} | "
                       f"{length(m['output'], 0)} | {m['feature']} | 对话、写作 |\n")
    elif v == 2:
        out.append("| Model ID | 类型 | 特点 | 价格 |\n|---|---|---|---|\n")
        out += [f"| `{m['id']}` | 对话 | {m['feature']} | ${m['input']}(in)/${m['output_price']}"
                f"(out) |\n" for m in models]
    else:
        out.append("| 模型 ID | 上下文 | 输入价格 | 输出价格 | 特点 |\n|---|---|---|---|---|\n")
        out += [f"| **{m['id']}** | {length(m['context'], 1)} | ${m['input']}/1M | "
                f"${m['output_price']}/1M | {m['feature']} |\n" for m in models]
    out.append("\n### 模型详细说明\n\n")
    for m in models[:3]:
        out.append(f"#### {m['id']}\n- **上下文窗口{colon}** {m['context']:,} tokens\n"
                   f"- **主要用途{colon}** {m['feature']}\n- **优势{colon}** {FILLER[0]}\n\n")
    out.append("---\n\n## 🔢 配额和限制\n\n")
    if v == 1:
        out.append(f"**标准模型（免费）{colon}**\n\n")
    else:
        out.append("### 免费层级限制\n\n")
    out.append("| 限制项 | 配额 | 说明 |\n|--------|------|------|\n")
    for row, unit in LIMIT_ROWS:
        out.append(f"| **{row}** | {s['limits'][row]:,} {unit} | {FILLER[3]} |\n")
    out.append(f"| **需要信用卡** | {'✅ 需要' if s['card'] else '❌ 不需要'} | 注册即可使用 |\n")
    if v == 1:
        out.append(f"\n**Pro 模型（限量）{colon}**\n\n| 限制项 | 配额 | 说明 |\n|---|---|---|\n")
        out += [f"| **{r}** | {n} | 高级模型 |\n" for r, n in s["pro_limits"].items()]
    out.append("\n### ⚠️ 重要限制\n\n1. **速率限制：** 超出后返回 429。\n"
               "2. **地区：** 部分地区不可用。\n"
               "\n### 配额重置时间\n\n- **每日配额：** UTC 00:00\n- **每分钟配额：** 滚动窗口\n")
    out.append("\n---\n\n## 💰 价格说明\n\n")
    if v == 0:
        out.append("### 付费定价（如有）\n\n| 模型 | 输入价格 | 输出价格 | 说明 |\n"
                   "|------|---------|---------|------|\n")
        out += [f"| **{m['id']}** | ${m['input']}/M tokens | "
                f"${m['output_price']}/M tokens | 按量 |\n"
                for m in models]
        out.append("\n| 模型 | 输入 | 输出 | 相对便宜 |\n|---|---|---|---|\n"
                   "| GPT-4o | $5 | $15 | 18-36倍 |\n| Claude 3.5 Sonnet | $3 | $15 | 10-30倍 |\n")
    elif v == 1:
        out.append("**价格单位：** 人民币/百万 tokens\n\n")
        out += [f"- {m['id']} 输入：¥{m['input']} / 百万 tokens，"
                f"输出：¥{m['output_price']} / 百万 tokens\n"
                for m in models]
    else:
        out.append("价格见上方模型表。\n")
    out.append(CODE.replace("ENDPOINT", s["endpoint"]).replace("MODEL", models[0]["id"]))
    out.append("\n### 与其他 API 对比\n\n| 特性 | 本服务 | 竞品 1 | 竞品 2 |\n"
               "|------|---------|---------|---------|\n"
               f"| 免费配额 | {s['limits']['每日请求数']:,}/天 | 1,000/天 | 500/天 |\n"
               "| 上下文长度 | 128K | 32K | 1M |\n| 需要信用卡 | ❌ | ✅ | ❌ |\n")
    out.append(ADVICE.replace("ENDPOINT", s["endpoint"]).replace("MODEL", models[0]["id"]))
    out.append("\n---\n\n## 🔧 常见问题\n\n")
    out += [f"**Q: {q}**  \nA: {a}\n\n" for q, a in s["faq"]]
    out.append(f"---\n\n## 🔗 相关资源\n\n- **API 端点：** `{s['endpoint']}`\n"
               f"- **API 文档：** [https://docs.{s['slug']}.example.com](https://docs.{s['slug']}.example.com)\n")
    out.append("\n---\n\n## 📝 更新日志\n\n" + "\n".join(s["log"]) + "\n\n---\n\n"
               f"**服务提供者：** [{s['provider'].title()}](/providers/{s['provider']})\n")
    return "".join(out)


CODE = '''
---

## 💻 代码示例

### Python 示例

```bash {filename="Bash"}
pip install openai | tee install.log  # a pipe inside code is not a table
```

```python {filename="Python"}
from openai import OpenAI

client = OpenAI(base_url="ENDPOINT", api_key="YOUR_API_KEY")
response = client.chat.completions.create(
    model="MODEL",
    messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "你好，请介绍一下自己。"},
    ],
    max_tokens=1000,
    temperature=0.7,
)
print(response.choices[0].message.content)
print(f"\\n使用 Tokens: {response.usage.total_tokens}")

stream = client.chat.completions.create(model="MODEL", stream=True,
                                        messages=[{"role": "user", "content": "写一首诗"}])
for chunk in stream:
    if chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end="")
```

### cURL 示例

```bash {filename="Bash"}
curl ENDPOINT/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -d '{"model": "MODEL", "messages": [{"role": "user", "content": "你好"}]}' | jq .
```

### Node.js 示例

```javascript {filename="JavaScript"}
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: 'ENDPOINT', apiKey: 'YOUR_API_KEY' });

async function main() {
  const completion = await client.chat.completions.create({
    model: 'MODEL',
    messages: [{ role: 'user', content: '你好，请介绍一下自己。' }],
    max_tokens: 1000,
  });
  console.log(completion.choices[0].message.content);
}

main();
```

### 错误处理

```python {filename="Python"}
import time
from openai import OpenAI, RateLimitError, APIError

client = OpenAI(base_url="ENDPOINT", api_key="YOUR_API_KEY")

def call_api_with_retry(messages, max_retries=3):
    """带重试机制的 API 调用"""
    for attempt in range(max_retries):
        try:
            return client.chat.completions.create(model="MODEL", messages=messages)
        except RateLimitError:
            print(f"达到速率限制，等待后重试... ({attempt + 1}/{max_retries})")
            time.sleep(2 ** attempt)  # 指数退避
        except APIError as e:
            print(f"API 错误: {e}")
            if attempt == max_retries - 1:
                raise
    return None
```

---

## 🌟 核心优势

1. **兼容性：** 与 OpenAI SDK 完全兼容，只需修改 base_url。
2. **速度：** 首 token 延迟低，适合交互式应用。
3. **稳定性：** 提供状态页面与 SLA 说明。
'''


ADVICE = '''
---

## 💡 实用建议

### ✅ 推荐做法

1. **缓存常见请求：**
   - 对相同的提示词缓存结果，可以显著减少请求次数，避免触发每日配额。
   - 使用本地键值存储（例如 SQLite 或 Redis）保存最近的回答。

2. **控制上下文长度：**
   - 只发送必要的历史消息，长对话请先做摘要。
   - 上下文越长，首 token 延迟越高，费用也越高。

3. **监控用量：**
   - 控制台提供按日统计，建议设置告警阈值。

### 🎯 最佳实践

**充分利用免费配额：**
- 在开发阶段使用较小的模型进行调试。
- 批量任务放在配额重置之后运行。
- 对失败请求使用指数退避，而不是立即重试。

**优化 Token 使用：**
- 精简系统提示词，删除重复说明。
- 设置合理的 max_tokens，避免无意义的长输出。
- 对结构化输出使用 JSON 模式，减少解析失败后的重试。

## 🎯 实际应用案例

### 案例 1：文档问答

**场景描述：** 基于内部文档回答员工问题，先检索再生成。

```python {filename="Python"}
def answer(question: str, passages: list[str]) -> str:
    """检索增强生成：把相关段落放进提示词"""
    context = "\\n\\n".join(passages[:5])
    response = client.chat.completions.create(
        model="MODEL",
        messages=[
            {"role": "system", "content": "只根据给定资料回答；不知道就说不知道。"},
            {"role": "user", "content": f"资料：\\n{context}\\n\\n问题：{question}"},
        ],
        max_tokens=800,
    )
    return response.choices[0].message.content
```

### 案例 2：批量翻译

**场景描述：** 将产品说明批量翻译为英文，控制并发以免超过速率限制。

```python {filename="Python"}
import asyncio
from openai import AsyncOpenAI

client = AsyncOpenAI(base_url="ENDPOINT", api_key="YOUR_API_KEY")
semaphore = asyncio.Semaphore(3)  # 免费层并发限制

async def translate(text: str) -> str:
    async with semaphore:
        r = await client.chat.completions.create(
            model="MODEL", messages=[{"role": "user", "content": f"翻译成英文：{text}"}])
        return r.choices[0].message.content
```

### ⚠️ 注意事项

1. **数据隐私：** 免费层的请求可能被用于改进模型，请勿发送敏感数据。
2. **服务变更：** 免费额度和模型列表可能随时调整，请关注更新日志。
3. **地区限制：** 部分地区需要代理才能访问 API 端点。
'''


def new_data_state(rng: random.Random, slug: str) -> dict[str, Any]:
    return {"id": slug, "name": f"{slug.title()} Data API", "provider": slug.split("-")[0],
            "endpoint": f"https://api.{slug}.example.net/v1", "tier": "limited-free",
            "requirements": ["registration"], "credit_card_required": False,
            "limits": {"requests_per_minute": rng.choice([10, 30, 60]),
                       "requests_per_day": rng.choice([1000, 14400]),
                       "tokens_per_day": rng.choice([500000, 1000000])},
            "models": {f"{slug}-d{k}": {"context": rng.choice([8192, 131072]),
                                        "max_output": 4096,
                                        "input_price": rng.choice([0.1, 0.2, 0.5]),
                                        "output_price": rng.choice([0.4, 0.8, 1.5]),
                                        "currency": "USD"}
                       for k in range(rng.randint(2, 4))}}


def edit_data(rng: random.Random, state: dict[str, Any]) -> str:
    roll = rng.random()
    if roll < 0.4:
        key = rng.choice(list(state["limits"]))
        state["limits"][key] = max(1, int(state["limits"][key] * rng.choice([0.5, 2])))
        return "quota"
    model = rng.choice(list(state["models"].values()))
    if roll < 0.8:
        model["input_price"] = round(model["input_price"] * rng.choice([0.8, 1.25]), 4)
        return "price"
    model["context"] = rng.choice([8192, 32768, 131072])
    return "context"


def render_data(state: dict[str, Any]) -> str:
    import yaml

    return yaml.dump(state, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)
