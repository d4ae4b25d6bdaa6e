"""Data sharing: partners, purposes, legal bases, agreements, delegation evidence, requests, figures."""
