"""What every stage shares: the document model, typed errors, atomic writes, the
project's settings, decoding options and the text helpers of messages."""
