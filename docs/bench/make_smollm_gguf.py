"""Writes a GGUF with SmolLM-135M's shape and random weights (F32), for llama.cpp speed runs beside bench --synthetic."""
import sys
import numpy as np
# gguf-py from a llama.cpp checkout: LLAMA_CPP=/path/to/llama.cpp python3 make_smollm_gguf.py out.gguf
import os
sys.path.insert(0, os.path.join(os.environ.get("LLAMA_CPP", "../llama.cpp"), "gguf-py"))
import gguf

hidden, layers, heads, kv_heads, inter, vocab = 576, 30, 9, 3, 1536, 49152
head_dim = hidden // heads
w = gguf.GGUFWriter(sys.argv[1], "llama")
w.add_name("synthetic-smollm-135m")
w.add_context_length(8192)
w.add_embedding_length(hidden)
w.add_block_count(layers)
w.add_feed_forward_length(inter)
w.add_head_count(heads)
w.add_head_count_kv(kv_heads)
w.add_rope_dimension_count(head_dim)
w.add_rope_freq_base(10000.0)
w.add_layer_norm_rms_eps(1e-5)
w.add_file_type(gguf.LlamaFileType.ALL_F32)
w.add_tokenizer_model("llama")
tokens = [b"<unk>", b"<s>", b"</s>"] + [("tok%d" % i).encode() for i in range(3, vocab)]
w.add_token_list(tokens)
w.add_token_scores([0.0] * vocab)
w.add_token_types([2, 3, 3] + [1] * (vocab - 3))
w.add_bos_token_id(1)
w.add_eos_token_id(2)
rng = np.random.default_rng(42)
def t(name, *shape, scale=0.02):
    w.add_tensor(name, (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32))
t("token_embd.weight", vocab, hidden)
for l in range(layers):
    p = "blk.%d." % l
    w.add_tensor(p + "attn_norm.weight", np.ones(hidden, dtype=np.float32))
    t(p + "attn_q.weight", heads * head_dim, hidden)
    t(p + "attn_k.weight", kv_heads * head_dim, hidden)
    t(p + "attn_v.weight", kv_heads * head_dim, hidden)
    t(p + "attn_output.weight", hidden, heads * head_dim)
    w.add_tensor(p + "ffn_norm.weight", np.ones(hidden, dtype=np.float32))
    t(p + "ffn_gate.weight", inter, hidden)
    t(p + "ffn_up.weight", inter, hidden)
    t(p + "ffn_down.weight", hidden, inter)
w.add_tensor("output_norm.weight", np.ones(hidden, dtype=np.float32))
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
