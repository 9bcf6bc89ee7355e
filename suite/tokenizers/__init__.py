"""Item tokenizers: text embeddings -> semantic-ID codes, registered by name."""

from suite.tokenizers import item_ids, mh_vqvae, product, random_codes, rq_kmeans, rq_vae, uiq

__all__ = ["item_ids", "mh_vqvae", "product", "random_codes", "rq_kmeans", "rq_vae", "uiq"]
