"""Alerts from every module and the cases analysts build from them."""
