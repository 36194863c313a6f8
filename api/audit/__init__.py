"""The audit log of writes: who (role and id), what, to which object, when; never personal data."""
