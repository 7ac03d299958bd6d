"""Signing PKI (root CA, document signers, CRL, trust list). Pure library, no Django; trust-and-chip issue."""
