# The gridmap service. Build: docker build -t gridmap .
FROM golang:1.26-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/bin/gridmap /usr/local/bin/gridmap
USER nobody
EXPOSE 8080
ENV GRIDMAP_ADDR=0.0.0.0:8080
ENTRYPOINT ["gridmap"]
CMD ["serve"]
