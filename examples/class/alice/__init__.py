"""Reference solutions of the convkata katas, one module per d2l section."""
