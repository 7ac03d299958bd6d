"""Electronic party card (signed QR, SD-JWT VC, status list). Pure library, no Django; e-card issue."""
