"""Outbound messages: one module for SMS, 企业微信/政务微信 group robots and "off"; see services.send."""
