"""Signing PKI (root CA, document signers, CRL, trust list). Pure library: no Django. Built in the trust-and-chip issue."""
