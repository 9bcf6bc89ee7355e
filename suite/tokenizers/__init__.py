"""Item tokenizers: text embeddings -> semantic-ID codes, registered by name."""

from suite.tokenizers import mh_vqvae, product, random_codes, rq_kmeans, rq_vae, uiq

__all__ = ["mh_vqvae", "product", "random_codes", "rq_kmeans", "rq_vae", "uiq"]
