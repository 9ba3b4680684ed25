"""How operators run opsbot: the image, compose, Kubernetes and the app manifests."""
