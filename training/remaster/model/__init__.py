from .remaster import RemasterNet, build_model

__all__ = ["RemasterNet", "build_model"]
