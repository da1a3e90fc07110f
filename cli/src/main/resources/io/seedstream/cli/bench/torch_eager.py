"""PyTorch eager on the shapes `seedstream bench memory` runs: the reference side of its ratios.

The same work as seedstream's FootprintWorkload, written the way a PyTorch user would write it
without any compiler or fused kernel: a Qwen2/Llama decoder (RMSNorm, GQA attention with RoPE,
SwiGLU, tied or separate head) read from the same safetensors, one GRPO update (completion
log-probs, clipped ratio loss, backward over micro-batches, gradient clipping, AdamW) or batched
sampling with a KV cache. Prints one JSON line. Written for seedstream, not taken from
transformers. Needs only torch (Debian's python3-torch).
"""
import argparse
import json
import math
import mmap
import os
import resource
import struct
import time

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
SIZES = {"F32": 4, "F16": 2, "BF16": 2}


def read_safetensors(path):
    """Each tensor copied out of a private memory map into float32, as the Java side loads."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    out, x = {}, None
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        x = torch.frombuffer(mm, dtype=DTYPES[t["dtype"]], count=(b - a) // SIZES[t["dtype"]],
                             offset=8 + n + a) if b > a else torch.empty(0, dtype=DTYPES[t["dtype"]])
        out[name] = x.reshape(t["shape"]).to(torch.float32, copy=True)
    del x
    mm.close()
    return out


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, x in tensors.items():
        raw = x.detach().contiguous().view(torch.uint8).numpy().tobytes() if x.numel() else b""
        header[name] = {"dtype": "F32", "shape": list(x.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    index = os.path.join(model_dir, "model.safetensors.index.json")
    w = {}
    if os.path.exists(index):
        with open(index) as f:
            for shard in sorted(set(json.load(f)["weight_map"].values())):
                w.update(read_safetensors(os.path.join(model_dir, shard)))
    else:
        w.update(read_safetensors(os.path.join(model_dir, "model.safetensors")))
    return cfg, w


class Decoder:
    def __init__(self, cfg, w):
        self.cfg, self.w = cfg, w
        self.h = cfg["num_attention_heads"]
        self.kv = cfg["num_key_value_heads"]
        self.d = cfg.get("head_dim") or cfg["hidden_size"] // self.h
        self.eps = cfg["rms_norm_eps"]
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, self.d, 2).float() / self.d))
        self.inv_freq = inv

    def norm(self, x, name):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.w[name]

    def lin(self, x, name):
        b = self.w.get(name + ".bias")
        return torch.nn.functional.linear(x, self.w[name + ".weight"], b)

    def rope(self, x, pos):  # x (B, H, T, D), pos (T,)
        f = torch.outer(pos.float(), self.inv_freq)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        x1, x2 = x[..., : self.d // 2], x[..., self.d // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def hidden(self, ids, cache=None, start=0):  # ids (B, T) -> (B, T, C)
        b, t = ids.shape
        x = self.w["model.embed_tokens.weight"][ids]
        pos = torch.arange(start, start + t)
        s = start + t
        mask = torch.full((t, s), float("-inf")).triu(start + 1).to(x.dtype)
        for i in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            y = self.norm(x, p + "input_layernorm.weight")
            q = self.lin(y, p + "self_attn.q_proj").view(b, t, self.h, self.d).transpose(1, 2)
            k = self.lin(y, p + "self_attn.k_proj").view(b, t, self.kv, self.d).transpose(1, 2)
            v = self.lin(y, p + "self_attn.v_proj").view(b, t, self.kv, self.d).transpose(1, 2)
            q, k = self.rope(q, pos), self.rope(k, pos)
            if cache is not None:
                if i in cache:
                    k = torch.cat([cache[i][0], k], 2)
                    v = torch.cat([cache[i][1], v], 2)
                cache[i] = (k, v)
            rep = self.h // self.kv
            k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(self.d) + mask
            y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, self.h * self.d)
            x = x + self.lin(y, p + "self_attn.o_proj")
            y = self.norm(x, p + "post_attention_layernorm.weight")
            g = self.lin(y, p + "mlp.gate_proj")
            x = x + self.lin(torch.nn.functional.silu(g) * self.lin(y, p + "mlp.up_proj"), p + "mlp.down_proj")
        return self.norm(x, "model.norm.weight")

    def head(self, x):
        return x @ self.w.get("lm_head.weight", self.w["model.embed_tokens.weight"]).t()


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def train(a, cfg, w):
    g = torch.Generator().manual_seed(7)
    vocab = cfg["vocab_size"]
    seq = a.prompt_tokens + a.completion_tokens
    ids = torch.randint(0, vocab, (a.answers, seq), generator=g)
    old = torch.full((a.answers, a.completion_tokens), -math.log(vocab)) + 0.1 * torch.randn(
        a.answers, a.completion_tokens, generator=g)
    adv = torch.tensor([0.5 if i % 2 == 0 else -0.5 for i in range(a.answers)]).unsqueeze(1)
    params = {k: v.requires_grad_(True) for k, v in w.items()}
    model = Decoder(cfg, params)
    opt = torch.optim.AdamW(params.values(), lr=1e-6, weight_decay=0.0)
    per_pass = max(1, min(a.answers, a.micro_batch_tokens // seq))
    seconds = []
    for _ in range(a.steps):
        t0 = time.time()
        opt.zero_grad(set_to_none=False)
        for lo in range(0, a.answers, per_pass):
            hi = min(a.answers, lo + per_pass)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.dtype == "bf16"):
                hid = model.hidden(ids[lo:hi])
                logits = model.head(hid[:, a.prompt_tokens - 1: seq - 1]).float()
            logp = logits.log_softmax(-1).gather(2, ids[lo:hi, a.prompt_tokens:].unsqueeze(2)).squeeze(2)
            ratio = (logp - old[lo:hi]).exp()
            loss = -torch.minimum(ratio * adv[lo:hi], ratio.clamp(0.8, 1.28) * adv[lo:hi]).sum() / (
                a.answers * a.completion_tokens)
            loss.backward()
        torch.nn.utils.clip_grad_norm_(params.values(), 1.0)
        opt.step()
        seconds.append(time.time() - t0)
    os.makedirs(a.save_dir, exist_ok=True)
    t0 = time.time()
    write_safetensors(os.path.join(a.save_dir, "model.safetensors"), params)
    weights_write = time.time() - t0
    t0 = time.time()
    moments = {}
    for name, p in params.items():
        st = opt.state[p]
        moments[name + ".exp_avg"] = st["exp_avg"]
        moments[name + ".exp_avg_sq"] = st["exp_avg_sq"]
    write_safetensors(os.path.join(a.save_dir, "optimizer.safetensors"), moments)
    moments_write = time.time() - t0
    med = sorted(seconds)[len(seconds) // 2]
    return {"role": "trainer", "step_seconds": seconds, "tokens_per_second": a.answers * seq / med,
            "weights_write_seconds": weights_write, "moments_write_seconds": moments_write}


@torch.no_grad()
def sample(a, cfg, w):
    if a.dtype == "bf16":
        w = {k: v.bfloat16() for k, v in w.items()}
    model = Decoder(cfg, w)
    g = torch.Generator().manual_seed(11)
    prompts = torch.randint(0, cfg["vocab_size"], (a.answers, a.prompt_tokens), generator=g)
    seconds = []
    for _ in range(a.runs):
        t0 = time.time()
        cache = {}
        logits = model.head(model.hidden(prompts, cache)[:, -1]).float()
        pos = a.prompt_tokens
        for _ in range(a.completion_tokens):
            nxt = torch.multinomial(logits.softmax(-1), 1, generator=g)
            logits = model.head(model.hidden(nxt, cache, pos)[:, -1]).float()
            pos += 1
        seconds.append(time.time() - t0)
    med = sorted(seconds)[len(seconds) // 2]
    return {"role": "generator", "run_seconds": seconds, "tokens_per_second": a.answers * a.completion_tokens / med}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--role", choices=["train", "sample"], required=True)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--answers", type=int, required=True)
    p.add_argument("--prompt-tokens", type=int, required=True)
    p.add_argument("--completion-tokens", type=int, required=True)
    p.add_argument("--micro-batch-tokens", type=int, default=8192)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--save-dir", default="torch-save")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg, w = load(a.model_dir)
    out = train(a, cfg, w) if a.role == "train" else sample(a, cfg, w)
    out.update({"engine": "pytorch-eager", "torch_version": torch.__version__, "dtype": a.dtype,
                "threads": torch.get_num_threads(), "peak_rss_kb": peak_rss_kb()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
