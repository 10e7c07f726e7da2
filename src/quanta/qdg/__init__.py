"""Quanta discovery from gradients (QDG; paper §5, App. C, D.1)."""
