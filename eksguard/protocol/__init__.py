"""The analyzer-protocol client: wire-form values, plugin processes and a policy pack driven as the engine drives it."""
