"""Payments through Stripe, the core's plumbing that every app charging money uses: the client
(`client`), each medspa's connected account (`connect`), customers and cards on file (`cards`), charges
(`charges`), refunds (`refunds`) and the signed events Stripe sends back (`events`). The models are
medspa.models.payments. What a charge is for (a deposit, a checkout, a fee, a Portrait bill) is the app's
that asks for it; it reacts to Stripe's events through `events.FOLLOWERS`."""
