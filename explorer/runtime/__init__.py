"""Keeping a system's projections and sagas up to date over a store, in this process or another
(`runner`)."""
