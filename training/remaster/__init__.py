"""Remaster trainer: a one-step image-to-image network (TAESD-style autoencoder + UNet2DModel-style
UNet at t=999 + one DDPM step) that turns low-quality game frames into high-quality ones.

Data contract everywhere in this package: images are NCHW float tensors, RGB, sRGB-encoded values
in [0, 1] (the same values as the canvas pixels); latents are (B, 4, H/8, W/8).
"""
